# frozen_string_literal: true

# A small client for hckns's script pipes (README: "Scripts: status and
# control over pipes"): start a command in a private network, wait until
# the network is ready, add, list and remove port forwards while the
# command runs, stop it, and collect its exit status.  Only Ruby's standard
# library; copy it into your project.
#
#   hckns = HcknsClient.new('bin/auto_hck', '--config', 'x.json')
#   hckns.start
#   hckns.wait_ready                        # the network is configured
#   id = hckns.add_forward(5900)            # 127.0.0.1:5900 -> 10.0.2.100:5900
#   hckns.remove_forward(id)
#   hckns.stop                              # the command gets SIGTERM
#   status = hckns.wait                     # a Process::Status
#
# Keep the client until hckns has ended: the status pipe is the instance's
# lifeline, and hckns stops the command when nobody can read it any more
# (for instance when this Ruby process dies).

require 'json'
require 'timeout'

class HcknsClient
  class Error < StandardError; end

  # pid: hckns's; ready, started, exited: its status lines (Hashes), once read.
  attr_reader :pid, :ready, :started, :exited

  # command: the command to run inside and its arguments (default: a shell).
  # hckns: the hckns program.  publish: --publish specs, such as '5900' or
  # 'udp:6000:600'.  options: other hckns options.  env, spawn_options:
  # passed on to Kernel#spawn (env first, e.g. { 'HCKNS_VERBOSE' => '1' }).
  def initialize(*command, hckns: 'hckns', publish: [], options: [], env: {},
                 spawn_options: {})
    @command = command
    @hckns = hckns
    @publish = publish
    @options = options
    @env = env
    @spawn_options = spawn_options
  end

  # Start hckns with a pipe for its status lines and two for requests and
  # answers.  Returns self.
  def start
    @status_r, status_w = IO.pipe
    ctl_r, @ctl_w = IO.pipe        # requests: hckns reads ctl_r
    @ans_r, ans_w = IO.pipe        # answers: hckns writes ans_w
    @ctl_w.sync = true
    args = [@hckns, '--status-fd', status_w.fileno.to_s,
            '--control-fd', "#{ctl_r.fileno},#{ans_w.fileno}"]
    @publish.each { |spec| args.push('--publish', spec) }
    args.push(*@options, '--', *@command)
    # spawn closes every other descriptor in hckns; these three it keeps.
    @pid = spawn(@env, *args, status_w => status_w, ctl_r => ctl_r,
                 ans_w => ans_w, **@spawn_options)
    [status_w, ctl_r, ans_w].each(&:close)
    self
  end

  # Wait for the "ready" line: the network is configured and every
  # --publish forward listens.  Returns it, or raises Error with hckns's
  # reason when hckns failed instead.
  def wait_ready(timeout: 30)
    event = next_event(timeout)
    return @ready = event if event && event['event'] == 'ready'

    raise Error, "hckns ended before the network was ready: #{event ? event['error'] : 'no status'}"
  end

  # Forward 127.0.0.1:host_port (or host_addr:host_port) to guest_port
  # (default: host_port) of 10.0.2.100 inside.  Returns the forward's id.
  def add_forward(host_port, guest_port: nil, proto: 'tcp', host_addr: nil)
    args = { proto: proto, host_port: host_port }
    args[:guest_port] = guest_port if guest_port
    args[:host_addr] = host_addr if host_addr
    request('add_hostfwd', args).fetch('id')
  end

  # The forwards in place: [{"id"=>1, "proto"=>"tcp", "host_addr"=>...,
  # "host_port"=>..., "guest_addr"=>"10.0.2.100", "guest_port"=>...}, ...]
  def list_forwards
    request('list_hostfwd').fetch('entries')
  end

  def remove_forward(id)
    request('remove_hostfwd', { id: id })
    nil
  end

  # End the command as SIGTERM would; then call wait.
  def stop
    request('stop')
    nil
  end

  # Wait for hckns to end, reading its last status lines (started, exited).
  # Returns its Process::Status.
  def wait(timeout: 30)
    deadline = now + timeout
    loop { break unless next_event(deadline - now) }
    loop do
      _, status = Process.wait2(@pid, Process::WNOHANG)
      return status if status
      raise Error, "hckns (pid #{@pid}) did not end within #{timeout} s" if now > deadline

      sleep 0.05
    end
  ensure
    [@status_r, @ctl_w, @ans_r].each { |io| io.close unless io.nil? || io.closed? }
  end

  private

  # One request line, one answer line; an error answer raises Error.
  def request(execute, arguments = nil, timeout: 10)
    req = { execute: execute }
    req[:arguments] = arguments if arguments
    @ctl_w.puts(JSON.generate(req))
    line = Timeout.timeout(timeout) { @ans_r.gets }
    raise Error, "#{execute}: hckns closed the control pipe" unless line

    answer = JSON.parse(line)
    raise Error, "#{execute}: #{answer['error']['desc']}" if answer['error']

    answer.fetch('return')
  rescue Timeout::Error
    raise Error, "#{execute}: no answer within #{timeout} s"
  end

  # The next status line (remembered by its event), or nil at the end.
  def next_event(timeout)
    line = Timeout.timeout([timeout, 0.001].max) { @status_r.gets }
    return nil unless line

    event = JSON.parse(line)
    instance_variable_set("@#{event['event']}", event) if %w[ready started exited].include?(event['event'])
    event
  rescue Timeout::Error
    raise Error, "no status line from hckns within #{timeout} s"
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end

# ruby hckns_client.rb [PORT]: a TCP server inside the network (busybox nc,
# answering "hello from inside"), reached from this host through a forward
# added while it runs.  HCKNS names the hckns program (default: hckns).
if __FILE__ == $PROGRAM_NAME
  require 'socket'

  port = Integer(ARGV[0] || 8080)
  hckns = HcknsClient.new('sh', '-c', 'busybox nc -ll -p 80 -e echo hello from inside & sleep 60',
                          hckns: ENV.fetch('HCKNS', 'hckns'))
  hckns.start
  puts "network ready, runtime directory #{hckns.wait_ready['runtime_dir']}"
  id = hckns.add_forward(port, guest_port: 80)
  puts "forward #{id}: 127.0.0.1:#{port} -> 10.0.2.100:80"
  answer = ''
  50.times do # the server inside may still be starting
    answer = TCPSocket.open('127.0.0.1', port, &:read)
    break unless answer.empty?

    sleep 0.1
  end
  puts "the server inside says: #{answer}"
  puts "forwards: #{hckns.list_forwards}"
  hckns.remove_forward(id)
  hckns.stop
  status = hckns.wait
  puts "hckns ended: #{status.exitstatus} (#{hckns.exited})"
end
