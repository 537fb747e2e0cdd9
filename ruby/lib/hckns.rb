# frozen_string_literal: true

# hckns from Ruby: start a command in a private network, wait until the
# network is ready, add, list and remove port forwards while it runs, stop
# it, and learn how it ended; through hckns's status and control pipes
# (README.md, "Scripts: status and control over pipes"). Standard library
# only.
#
#   require 'hckns'
#
#   Hckns.run('bin/auto_hck', '--config', 'x.json', publish: ['5900']) do |h|
#     h.ready['runtime_dir']                  # the network is configured
#     id = h.add_forward(5901, guest_port: 5900)
#     h.forwards                              # [{"id"=>1, ...}, ...]
#     h.remove_forward(id)
#   end                                       # => Hckns::Exit (exit_status, how, ...)
#
# or step by step:
#
#   h = Hckns::Instance.start('sleep', '600', name: 'autohck')
#   h.wait_ready
#   h.wait_started['pid']                     # the command runs
#   h.stop
#   h.wait                                    # => Hckns::Exit
#
# Keep the instance object until hckns has ended: the status pipe is the
# instance's lifeline, and hckns stops the command when nobody can read it
# any more (for instance when this Ruby process dies).
#
# Every wait has a deadline; nothing here uses Timeout.timeout, and pipes
# are read and written with IO#wait_readable / #wait_writable, so the client
# is correct with Ruby's non-blocking pipes.

require 'json'
require 'io/wait'
require 'io/nonblock'

module Hckns
  VERSION = '0.1.0'

  # Anything that went wrong; the message is hckns's own words where it
  # said any.
  class Error < StandardError; end

  # hckns ended (or failed) before its network was ready. #exit tells how.
  class StartError < Error
    attr_reader :exit

    def initialize(message, exit = nil)
      super(message)
      @exit = exit
    end
  end

  # A control request was answered with an error ({"error":{"desc":...}}).
  class RequestError < Error
    attr_reader :request, :desc

    def initialize(request, desc)
      super("#{request}: #{desc}")
      @request = request
      @desc = desc
    end
  end

  # No status line or answer within the deadline.
  class TimeoutError < Error; end

  # hckns closed a pipe we were waiting on (it ended).
  class GoneError < Error; end

  # How hckns ended: its "exited" status line and its Process::Status.
  Exit = Struct.new(:exit_status, :how, :code, :signal, :signal_name, :error, :status,
                    keyword_init: true) do
    def self.from(line, status)
      new(exit_status: line['exit_status'], how: line['how'], code: line['code'],
          signal: line['signal'], signal_name: line['signal_name'], error: line['error'],
          status: status)
    end

    def success?
      exit_status.zero?
    end
  end

  # Start hckns, yield the ready instance, stop the command when the block
  # returns (unless it ended), and return its Exit. Without a block: the
  # command runs to its end.
  def self.run(*command, **options)
    instance = Instance.start(*command, **options)
    begin
      instance.wait_ready
      if block_given?
        yield instance
        instance.stop unless instance.ended?
      end
    rescue StandardError
      instance.kill
      raise
    end
    instance.wait
  end

  # Reads lines from a pipe with a deadline, whatever its O_NONBLOCK.
  class LineReader
    def initialize(io)
      @io = io
      @buf = +''
      @eof = false
    end

    # The next line (without its newline), or nil at EOF. Raises
    # TimeoutError past the deadline (a monotonic clock value).
    def gets(deadline, what)
      line = line_by(deadline)
      raise TimeoutError, "no #{what} from hckns within the time allowed" if line == :timeout

      line
    end

    # The next line, nil at EOF, or :timeout when none came by the deadline.
    def line_by(deadline)
      loop do
        if (i = @buf.index("\n"))
          return @buf.slice!(0..i).chomp
        end
        return nil if @eof

        left = deadline - Hckns.now
        return :timeout if left <= 0

        fill(left)
      end
    end

    private

    def fill(left)
      return unless @io.wait_readable(left)

      @buf << @io.read_nonblock(65_536)
    rescue IO::WaitReadable
      nil
    rescue EOFError, Errno::EPIPE, Errno::ECONNRESET
      @eof = true
    end
  end

  def self.now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # Writes all of a string with a deadline, whatever its O_NONBLOCK.
  def self.write_all(io, data, deadline)
    until data.empty?
      begin
        n = io.write_nonblock(data)
        data = data.byteslice(n..)
      rescue IO::WaitWritable
        left = deadline - now
        raise TimeoutError, 'hckns reads no more requests' if left <= 0

        io.wait_writable(left)
      rescue Errno::EPIPE
        raise GoneError, 'hckns closed its control pipe'
      end
    end
  end

  # One hckns process and its command.
  class Instance
    # pid: hckns's. ready, started, exited: its status lines (Hashes),
    # once read (exited stays nil when hckns said none: see #wait).
    attr_reader :pid, :ready, :started, :exited

    # command: what to run inside and its arguments (default: a shell).
    # hckns: the hckns program. name: --name. publish: --publish specs
    # ('5900', '127.0.0.1:15901:5900', 'udp:6000:600'). options: other hckns
    # options. env and spawn_options: passed to Kernel#spawn.
    def self.start(*command, **kw)
      new(*command, **kw).start
    end

    def initialize(*command, hckns: 'hckns', name: nil, publish: [], options: [], env: {},
                   spawn_options: {})
      @command = command
      @hckns = hckns
      @name = name
      @publish = publish
      @options = options
      @env = env
      @spawn_options = spawn_options
      @exited = nil
      @exit = nil
    end

    # Spawn hckns with its three pipes. Returns self.
    def start
      status_r, status_w = IO.pipe
      ctl_r, @ctl_w = IO.pipe   # requests: hckns reads ctl_r
      ans_r, ans_w = IO.pipe    # answers: hckns writes ans_w
      args = [@hckns, '--status-fd', status_w.fileno.to_s,
              '--control-fd', "#{ctl_r.fileno},#{ans_w.fileno}"]
      args.push('--name', @name) if @name
      @publish.each { |spec| args.push('--publish', spec) }
      args.push(*@options, '--', *@command)
      # Ruby makes pipes non-blocking; hckns's ends need not be (its own
      # writes then never meet EAGAIN, whatever its version does with it).
      [status_w, ctl_r, ans_w].each { |io| io.nonblock = false }
      @pid = Process.spawn(@env, *args, status_w => status_w, ctl_r => ctl_r,
                                        ans_w => ans_w, **@spawn_options)
      [status_w, ctl_r, ans_w].each(&:close)
      @status = LineReader.new(status_r)
      @answers = LineReader.new(ans_r)
      @ios = [status_r, @ctl_w, ans_r]
      self
    end

    # Wait for the "ready" line: the network is configured and every
    # --publish forward listens. Returns it; raises StartError with hckns's
    # own message when hckns ended instead.
    def wait_ready(timeout: 60)
      return @ready if @ready

      event = next_event(Hckns.now + timeout)
      return @ready = event if event && event['event'] == 'ready'

      result = wait(timeout: 10)
      raise StartError.new("hckns ended before the network was ready: #{result.error || result.how}",
                           result)
    end

    # Wait for the "started" line: the command runs (its pid, on this
    # host, is started['pid']). Returns it; raises StartError with hckns's
    # own message when hckns ended instead (the command could not be
    # executed: exit status 127 not found, 126 not executable).
    def wait_started(timeout: 60)
      deadline = Hckns.now + timeout
      wait_ready(timeout: timeout)
      until @started
        event = next_event(deadline)
        next if event && event['event'] != 'exited'

        result = wait(timeout: 10)
        raise StartError.new("hckns ended before the command started: #{result.error || result.how}",
                             result)
      end
      @started
    end

    # Forward host_addr:host_port (hckns's default 127.0.0.1) to
    # guest_addr:guest_port inside (default: the uplink's address and
    # host_port). Returns the forward's id.
    def add_forward(host_port, guest_port: nil, proto: 'tcp', host_addr: nil, guest_addr: nil,
                    timeout: 10)
      args = { proto: proto, host_port: host_port }
      args[:guest_port] = guest_port if guest_port
      args[:host_addr] = host_addr if host_addr
      args[:guest_addr] = guest_addr if guest_addr
      request('add_hostfwd', args, timeout: timeout).fetch('id')
    end

    # [{"id"=>1, "proto"=>"tcp", "host_addr"=>..., "host_port"=>...,
    #   "guest_addr"=>..., "guest_port"=>...}, ...]
    def forwards(timeout: 10)
      request('list_hostfwd', timeout: timeout).fetch('entries')
    end

    def remove_forward(id, timeout: 10)
      request('remove_hostfwd', { id: id }, timeout: timeout)
      nil
    end

    # Ask hckns to end the command as SIGTERM would; then call #wait.
    def stop(timeout: 10)
      request('stop', timeout: timeout)
      nil
    rescue GoneError
      nil # it has ended already
    end

    # Several requests at once ([{execute:, arguments:}, ...]): written as
    # fast as hckns reads them while their answers are read, so that
    # neither side waits on a full pipe. Returns the answers (Hashes, errors
    # included), in order.
    def pipeline(requests, timeout: 60)
      deadline = Hckns.now + timeout
      out = requests.map { |r| "#{JSON.generate(r)}\n" }.join
      answers = []
      until answers.size == requests.size
        raise TimeoutError, "#{answers.size} of #{requests.size} answers in time" if Hckns.now > deadline

        out = write_some(out, deadline) unless out.empty?
        line = @answers.line_by(out.empty? ? deadline : [Hckns.now + 0.01, deadline].min)
        raise GoneError, 'hckns closed the control pipe' if line.nil?

        answers << JSON.parse(line) unless line == :timeout
      end
      answers
    end

    def ended?
      !@exit.nil?
    end

    # Wait for hckns to end, reading its last status lines. Returns its
    # Exit (with the Process::Status).
    def wait(timeout: 60)
      return @exit if @exit

      deadline = Hckns.now + timeout
      loop { break unless next_event(deadline) }
      status = reap(deadline)
      @exit = Exit.from(@exited || unsaid(status), status)
    ensure
      @ios&.each { |io| io.close unless io.closed? } if @exit
    end

    # Send hckns a signal (:TERM, :INT, :HUP, :QUIT, :USR1, :USR2): during
    # the setup it aborts it (exit 128+N), once the command runs it is
    # relayed to the command, once. hckns blocks these signals from its
    # first instruction, but one sent earlier, while the kernel still
    # starts it, would end it as it ends any program, with no exited line:
    # so this waits (bounded) until /proc/PID/status shows the signal
    # blocked, or hckns has ended.
    def signal(sig = :TERM, timeout: 5)
      number = Signal.list.fetch(sig.to_s.delete_prefix('SIG'))
      deadline = Hckns.now + timeout
      sleep 0.001 until blocks?(number) || Hckns.now > deadline
      Process.kill(number, @pid)
      nil
    rescue Errno::ESRCH
      nil # it has ended already
    end

    # SIGKILL hckns (it then removes everything itself: its keeper does)
    # and reap it.
    def kill
      Process.kill(:KILL, @pid)
      wait(timeout: 10)
    rescue Errno::ESRCH, Error
      nil
    end

    private

    # Does hckns block signal @number (SigBlk), or is it gone?
    def blocks?(number)
      mask = File.foreach("/proc/#{@pid}/status").find { |l| l.start_with?('SigBlk:') }
      mask.nil? || mask.split[1].to_i(16)[number - 1] == 1
    rescue Errno::ENOENT, Errno::ESRCH
      true
    end

    def write_some(out, deadline)
      n = @ctl_w.write_nonblock(out)
      out.byteslice(n..)
    rescue IO::WaitWritable
      raise TimeoutError, 'hckns reads no more requests' if Hckns.now > deadline

      out
    rescue Errno::EPIPE
      raise GoneError, 'hckns closed its control pipe'
    end

    # One request line, one answer line; an error answer raises RequestError.
    def request(execute, arguments = nil, timeout: 10)
      deadline = Hckns.now + timeout
      req = { execute: execute }
      req[:arguments] = arguments if arguments
      Hckns.write_all(@ctl_w, "#{JSON.generate(req)}\n", deadline)
      line = @answers.gets(deadline, "answer to #{execute}")
      raise GoneError, "#{execute}: hckns closed the control pipe" unless line

      answer = JSON.parse(line)
      raise RequestError.new(execute, answer.dig('error', 'desc')) if answer['error']

      answer.fetch('return')
    end

    # The next status line (remembered by its event), or nil at the end.
    def next_event(deadline)
      line = @status.gets(deadline, 'status line')
      return nil unless line

      event = JSON.parse(line)
      case event['event']
      when 'ready' then @ready = event
      when 'started' then @started = event
      when 'exited' then @exited = event
      end
      event
    end

    # What we know when hckns wrote no "exited" line: only its
    # Process::Status (killed by a signal: 128 + N, as a shell says).
    def unsaid(status)
      how = if status.signaled?
              "it was killed by SIG#{Signal.signame(status.termsig)}"
            else
              "it exited #{status.exitstatus}"
            end
      { 'exit_status' => status.exitstatus || (128 + status.termsig), 'how' => 'failed',
        'error' => "hckns said nothing on its status pipe (#{how})" }
    end

    def reap(deadline)
      loop do
        _, status = Process.wait2(@pid, Process::WNOHANG)
        return status if status
        raise TimeoutError, "hckns (pid #{@pid}) did not end in time" if Hckns.now > deadline

        sleep 0.02
      end
    end
  end
end
