# frozen_string_literal: true

# hckns driven from Ruby exactly as AutoHCK drives it (README: Scripts): spawn with
# pipes for status and control, wait for "ready" with one read, a TCP
# server inside (the command itself), forwards added and removed while it
# runs, proven by connecting from this host to 127.0.0.1; stop; the exit
# status; nothing left: no runtime directory, no listening port, no process
# in the instance's user namespace.  Also: started with --publish, one
# control descriptor for both directions, and the driving Ruby process
# killed with SIGKILL.  And the run loop's promises (README: Scripts, Signals), with nothing
# but IO.pipe and spawn where the gem would hide them: thousands of answers
# read late from Ruby's non-blocking pipes, a reader that reads none, a
# SIGTERM the moment spawn returns, a signal to the script's process group,
# failures before "ready".
#
# Debian's ruby and its standard library only.  HCKNS names the hckns to
# test (default: build/hckns).  Run: ruby tests/ruby/test_hckns.rb [-n NAME];
# `make check` runs it through tests/integration/t-ruby.sh, as root and as
# an unprivileged user.  Traffic goes to 127.0.0.1 only.

require 'minitest/autorun'
require 'json'
require 'socket'
require 'timeout'
require 'tmpdir'
require 'fileutils'
require 'rbconfig'

# The gem's library (ruby/lib), as AutoHCK requires it.
RUBY_LIB = ENV.fetch('HCKNS_RUBY_LIB') { File.expand_path('../../ruby/lib', __dir__) }
$LOAD_PATH.unshift(RUBY_LIB)
require 'hckns'

HCKNS = ENV.fetch('HCKNS') { File.expand_path('../../build/hckns', __dir__) }
GUEST_PORT = 8000

class TestHckns < Minitest::Test
  def setup
    # A runtime base of the test's own: nothing else's instances, and
    # what is left of ours is easy to see.
    @tmp = Dir.mktmpdir('hckns-ruby-')
    File.chmod(0o755, @tmp)
    @env = { 'TMPDIR' => @tmp, 'XDG_RUNTIME_DIR' => nil }
    @marker = "hello-#{Process.pid}-#{rand(1 << 30)}"
    @pids = []     # to SIGKILL if a test fails half-way
    @held = []     # user namespaces held open
  end

  def teardown
    @pids.each do |pid|
      Process.kill(:KILL, pid)
    rescue Errno::ESRCH
      nil
    end
    @pids.each do |pid|
      Process.wait(pid, Process::WNOHANG)
    rescue Errno::ECHILD
      nil
    end
    @held.each(&:close)
    FileUtils.rm_rf(@tmp)
  end

  # ---- helpers ----------------------------------------------------------

  # The command: a TCP server on GUEST_PORT inside that answers @marker to
  # every connection; sh ends it after 60 s at most, and dies of SIGTERM.
  def server_command
    ['sh', '-c', 'busybox nc -ll -p "$1" -e echo "$2" </dev/null & sleep 60',
     'sh', GUEST_PORT.to_s, @marker]
  end

  def client(*command, spawn_options: {}, **kw)
    Hckns::Instance.new(*command, hckns: HCKNS, env: @env,
                                  spawn_options: { err: File.join(@tmp, 'hckns.err') }.merge(spawn_options),
                                  **kw)
  end

  def hckns_stderr
    File.read(File.join(@tmp, 'hckns.err'))
  rescue Errno::ENOENT
    ''
  end

  # A TCP port on 127.0.0.1 that nothing uses now.
  def free_port
    100.times do
      port = rand(20_000..60_000)
      begin
        TCPServer.new('127.0.0.1', port).close
        return port
      rescue Errno::EADDRINUSE
        next
      end
    end
    flunk 'no free port'
  end

  # What the server behind 127.0.0.1:port answers; nil when it does not
  # within 10 s (before the server inside listens, slirp4netns accepts and
  # closes at once: try again).
  def ask(port)
    200.times do
      answer = Timeout.timeout(5) { TCPSocket.open('127.0.0.1', port, &:read) }
      return answer.chomp unless answer.empty?
    rescue Errno::ECONNREFUSED, Errno::ECONNRESET, Timeout::Error
      nil
    ensure
      sleep 0.05
    end
    nil
  end

  def assert_refused(port)
    assert_raises(Errno::ECONNREFUSED, "127.0.0.1:#{port} still accepts connections") do
      TCPSocket.open('127.0.0.1', port, &:close)
    end
  end

  # Open the instance's user namespace until the test ends, so that its
  # inode is not reused while we look for what is left in it; returns
  # "user:[INODE]".
  def hold_userns(path)
    @held << File.open(path)
    File.readlink("/proc/self/fd/#{@held.last.fileno}")
  end

  def alive?(pid)
    state = File.read("/proc/#{pid}/status")[/^State:\s+(\S)/, 1]
    !%w[Z X].include?(state)
  rescue Errno::ENOENT, Errno::ESRCH
    false
  end

  def userns_pids(userns)
    Dir.glob('/proc/[0-9]*').filter_map do |dir|
      pid = File.basename(dir).to_i
      pid if (File.readlink("#{dir}/ns/user") rescue nil) == userns && alive?(pid)
    end
  end

  # Within 3 s: no runtime directory, no listener on the ports, no process
  # in the user namespace.
  def assert_nothing_left(ready, userns, ports)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 3
    until !File.exist?(ready['runtime_dir']) && userns_pids(userns).empty?
      break if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.05
    end
    refute File.exist?(ready['runtime_dir']), "runtime directory #{ready['runtime_dir']} is left"
    assert_empty userns_pids(userns), "processes left in #{userns}"
    ports.each { |port| assert_refused(port) }
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # hckns started as a script written from README alone starts it: three
  # pipes from IO.pipe (Ruby makes both ends non-blocking, and hckns's
  # ends keep that unless answers_blocking), passed with spawn; nothing of
  # the gem but its LineReader. Returns the pid and our ends.
  Raw = Struct.new(:pid, :status, :ctl_w, :ans_r, :answers, keyword_init: true)

  def spawn_raw(*command, answers_blocking: false, err: File.join(@tmp, 'hckns.err'))
    status_r, status_w = IO.pipe
    ctl_r, ctl_w = IO.pipe
    ans_r, ans_w = IO.pipe
    # O_NONBLOCK belongs to the open file description: hckns's copy of
    # ans_w is blocking too (ours is closed below).
    ans_w.nonblock = false if answers_blocking
    pid = spawn(@env, HCKNS, '--status-fd', status_w.fileno.to_s,
                '--control-fd', "#{ctl_r.fileno},#{ans_w.fileno}", '--', *command,
                status_w => status_w, ctl_r => ctl_r, ans_w => ans_w, err: err)
    @pids << pid
    [status_w, ctl_r, ans_w].each(&:close)
    Raw.new(pid: pid, status: Hckns::LineReader.new(status_r), ctl_w: ctl_w, ans_r: ans_r,
            answers: Hckns::LineReader.new(ans_r))
  end

  # The next status line (a Hash), nil at EOF; fails past the deadline.
  def status_line(reader, deadline, what)
    line = reader.line_by(deadline)
    flunk "no #{what} from hckns in time: #{hckns_stderr}" if line == :timeout
    line && JSON.parse(line)
  end

  # Every status line until EOF (hckns ended), with a deadline.
  def status_lines(reader, deadline)
    lines = []
    while (line = status_line(reader, deadline, 'end of the status lines'))
      lines << line
    end
    lines
  end

  # Reap pid within the deadline (a failure past it).
  def reap(pid, deadline)
    loop do
      _, status = Process.wait2(pid, Process::WNOHANG)
      return status if status

      flunk "hckns (pid #{pid}) did not end in time: #{hckns_stderr}" if now > deadline
      sleep 0.02
    end
  end

  # Write what io takes of out within wait seconds; the rest is returned.
  def write_some(io, out, wait)
    n = io.write_nonblock(out, exception: false)
    if n == :wait_writable
      io.wait_writable(wait)
      return out
    end
    out.byteslice(n..)
  rescue Errno::EPIPE
    flunk "hckns closed its control pipe: #{hckns_stderr}"
  end

  # Bytes waiting in a pipe (FIONREAD), and its capacity (F_GETPIPE_SZ).
  FIONREAD = 0x541B
  F_GETPIPE_SZ = 1032

  def unread_bytes(io)
    buf = [0].pack('i')
    io.ioctl(FIONREAD, buf)
    buf.unpack1('i')
  end

  def wait_for_file(path, seconds, what)
    deadline = now + seconds
    until File.size?(path)
      flunk "#{what} within #{seconds} s: #{hckns_stderr}" if now > deadline
      sleep 0.02
    end
  end

  def entry(id, host_port, guest_port, proto: 'tcp')
    { 'id' => id, 'proto' => proto, 'host_addr' => '127.0.0.1', 'host_port' => host_port,
      'guest_addr' => '10.0.2.100', 'guest_port' => guest_port }
  end

  # ---- scenarios --------------------------------------------------------

  # AutoHCK's way: ready, a forward added while the command runs, the
  # server's answer read through it, listed, removed (the port closes),
  # stop, the exit status, nothing left.
  def test_forward_added_at_run_time
    port = free_port
    hckns = client(*server_command).start
    @pids << hckns.pid
    ready = hckns.wait_ready
    assert_equal 'ready', ready['event']
    assert_equal hckns.pid, ready['pid']
    assert_equal [], ready['forwards']
    userns = hold_userns(ready['namespaces']['user'])

    id = hckns.add_forward(port, guest_port: GUEST_PORT)
    assert_equal 1, id
    assert_equal @marker, ask(port), "the server's answer through 127.0.0.1:#{port}"
    assert_equal [entry(1, port, GUEST_PORT)], hckns.forwards
    error = assert_raises(Hckns::RequestError) { hckns.add_forward(port) }
    assert_match(/in use or not permitted/, error.message)

    hckns.remove_forward(id)
    assert_equal [], hckns.forwards
    assert_refused(port)
    error = assert_raises(Hckns::RequestError) { hckns.remove_forward(id) }
    assert_match(/no forward with id 1/, error.message)

    hckns.stop
    result = hckns.wait
    assert_instance_of Hckns::Exit, result
    assert_equal 143, result.status.exitstatus, "hckns's exit status (#{hckns_stderr})"
    assert_equal [143, 'killed', 15, 'TERM', nil],
                 [result.exit_status, result.how, result.signal, result.signal_name, result.error]
    assert_equal 'started', hckns.started['event']
    assert_equal '', hckns_stderr
    assert_nothing_left(ready, userns, [port])
  end

  # Started with --publish: the forward is in the ready line and listens
  # when it comes; removed at run time; stop.
  def test_publish_at_start
    port = free_port
    hckns = client(*server_command, publish: ["#{port}:#{GUEST_PORT}"]).start
    @pids << hckns.pid
    ready = hckns.wait_ready
    assert_equal [entry(1, port, GUEST_PORT)], ready['forwards']
    userns = hold_userns(ready['namespaces']['user'])
    # Listening the moment ready is read: connecting succeeds at once.
    TCPSocket.open('127.0.0.1', port, &:close)
    assert_equal @marker, ask(port)
    assert_equal [entry(1, port, GUEST_PORT)], hckns.forwards

    hckns.remove_forward(1)
    assert_refused(port)
    hckns.stop
    assert_equal 143, hckns.wait.exit_status, "hckns's exit status (#{hckns_stderr})"
    assert_nothing_left(ready, userns, [port])
  end

  # One descriptor for requests and answers (--control-fd FD): a socket.
  def test_control_one_descriptor
    port = free_port
    status_r, status_w = IO.pipe
    ours, theirs = UNIXSocket.pair
    pid = spawn(@env, HCKNS, '--status-fd', status_w.fileno.to_s,
                '--control-fd', theirs.fileno.to_s, '--', *server_command,
                status_w => status_w, theirs => theirs, err: File.join(@tmp, 'hckns.err'))
    @pids << pid
    [status_w, theirs].each(&:close)
    ready = JSON.parse(Timeout.timeout(30) { status_r.gets })
    assert_equal 'ready', ready['event']
    userns = hold_userns(ready['namespaces']['user'])

    control = lambda do |request|
      ours.puts(JSON.generate(request))
      JSON.parse(Timeout.timeout(10) { ours.gets })
    end
    assert_equal({ 'return' => { 'id' => 1 }, 'tag' => 'a' },
                 control.call(execute: 'add_hostfwd', arguments: { host_port: port, guest_port: GUEST_PORT }, tag: 'a'))
    assert_equal @marker, ask(port)
    assert_equal({ 'return' => { 'entries' => [entry(1, port, GUEST_PORT)] } },
                 control.call(execute: 'list_hostfwd'))
    assert_equal({ 'return' => {} }, control.call(execute: 'remove_hostfwd', arguments: { id: 1 }))
    assert_refused(port)
    bad = control.call(execute: 'remove_hostfwd', arguments: { id: 1 }, tag: [1])
    assert_equal [1], bad['tag']
    assert_kind_of String, bad.dig('error', 'desc')
    assert_equal({ 'return' => {} }, control.call(execute: 'stop'))

    lines = Timeout.timeout(10) { status_r.readlines }.map { |l| JSON.parse(l) }
    assert_equal %w[started exited], lines.map { |l| l['event'] }
    assert_equal 'killed', lines.last['how']
    _, status = Timeout.timeout(10) { Process.wait2(pid) }
    assert_equal 143, status.exitstatus
    assert_nothing_left(ready, userns, [port])
  end

  # The Ruby process that started hckns dies by SIGKILL mid-run: its status
  # pipe has no reader any more, hckns stops the command (SIGTERM), removes
  # everything and exits; nothing remains.
  def test_driver_killed
    port = free_port
    got = File.join(@tmp, 'got')
    driver = <<~'RUBY'
      require 'json'
      require 'hckns'
      port, got, marker = ARGV
      hckns = Hckns::Instance.new('sh', '-c', <<~SH, 'sh', got, marker, hckns: ENV.fetch('HCKNS'))
        trap 'echo TERM >"$1"; exit 0' TERM
        busybox nc -ll -p 8000 -e echo "$2" </dev/null &
        i=0
        while [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
      SH
      hckns.start
      ready = hckns.wait_ready
      hckns.add_forward(Integer(port), guest_port: 8000)
      puts JSON.generate({ hckns_pid: hckns.pid, ready: ready })
      $stdout.flush
      sleep 60
    RUBY
    out_r, out_w = IO.pipe
    driver_pid = spawn(@env.merge('HCKNS' => HCKNS), RbConfig.ruby, '-I', RUBY_LIB, '-e', driver,
                       port.to_s, got, @marker, out: out_w, err: File.join(@tmp, 'hckns.err'))
    @pids << driver_pid
    out_w.close
    line = Timeout.timeout(30) { out_r.gets }
    refute_nil line, "the driver said nothing: #{hckns_stderr}"
    info = JSON.parse(line)
    hckns_pid = info['hckns_pid']
    ready = info['ready']
    @pids << hckns_pid
    userns = hold_userns(ready['namespaces']['user'])
    assert_equal @marker, ask(port)

    Process.kill(:KILL, driver_pid)
    Process.wait(driver_pid)
    100.times do
      break unless alive?(hckns_pid)

      sleep 0.05
    end
    refute alive?(hckns_pid), 'hckns still runs 5 s after its driver died'
    assert_nothing_left(ready, userns, [port])
    assert_equal "TERM\n", File.read(got), 'what the command got'
    assert_equal "hckns: the reader of --status-fd went away (the script that started hckns is gone): " \
                 "stopping the command\n", hckns_stderr
  end

  # ---- the gem's own API ------------------------------------------------

  # Hckns.run: ready before the block, a forward inside it, the command
  # stopped when the block returns, its Exit returned; nothing left.
  def test_run_block
    port = free_port
    ready = userns = nil
    result = Hckns.run(*server_command, hckns: HCKNS, env: @env,
                                        spawn_options: { err: File.join(@tmp, 'hckns.err') }) do |h|
      ready = h.ready
      userns = hold_userns(ready['namespaces']['user'])
      assert_equal 1, h.add_forward(port, guest_port: GUEST_PORT)
      assert_equal @marker, ask(port)
      assert_equal [entry(1, port, GUEST_PORT)], h.forwards
    end
    assert_equal [143, 'killed', 'TERM'], [result.exit_status, result.how, result.signal_name]
    refute result.success?
    assert_nothing_left(ready, userns, [port])
  end

  # A request hckns refuses raises RequestError with hckns's words; the
  # instance goes on.
  def test_request_error
    hckns = client('sleep', '30').start
    @pids << hckns.pid
    hckns.wait_ready
    error = assert_raises(Hckns::RequestError) { hckns.remove_forward(7) }
    assert_equal 'remove_hostfwd', error.request
    assert_match(/no forward with id 7/, error.desc)
    assert_equal [], hckns.forwards
    hckns.stop
    assert_equal 143, hckns.wait.exit_status
  end

  # hckns fails before its network is ready: wait_ready raises StartError,
  # which carries how hckns ended (125).
  def test_start_error
    hckns = client('true', options: ['--mtu', '1']).start
    @pids << hckns.pid
    error = assert_raises(Hckns::StartError) { hckns.wait_ready(timeout: 30) }
    assert_equal 125, error.exit.exit_status
    assert_equal 125, error.exit.status.exitstatus
    assert_match(/mtu/i, hckns_stderr)
  end

  # Many requests at once: pipeline writes them as hckns reads them and
  # reads every answer meanwhile; each gets its answer, in order, tags
  # echoed.
  def test_pipeline_many_requests
    hckns = client('sleep', '30').start
    @pids << hckns.pid
    hckns.wait_ready
    requests = Array.new(500) { |i| { execute: 'list_hostfwd', tag: i } }
    answers = hckns.pipeline(requests, timeout: 40)
    assert_equal 500, answers.size
    assert_equal (0...500).to_a, answers.map { |a| a['tag'] }
    assert(answers.all? { |a| a['return'] == { 'entries' => [] } })
    hckns.stop
    assert_equal 143, hckns.wait.exit_status
  end

  # wait_started returns the "started" line (the command runs); a command
  # that cannot be executed raises StartError instead, with hckns's "exited"
  # line (127, "failed", its message) and no "started". hckns killed
  # outright says nothing: #wait then tells that, with 128 + the signal.
  def test_wait_started
    hckns = client('sleep', '30').start
    @pids << hckns.pid
    started = hckns.wait_started(timeout: 30)
    assert_equal 'started', started['event']
    assert alive?(started['pid']), "the command (pid #{started['pid']}) runs"
    hckns.kill
    result = hckns.wait
    assert_nil hckns.exited
    assert_equal [137, 'failed', 'hckns said nothing on its status pipe (it was killed by SIGKILL)'],
                 [result.exit_status, result.how, result.error]

    hckns = client('hckns-no-such-command').start
    @pids << hckns.pid
    error = assert_raises(Hckns::StartError) { hckns.wait_started(timeout: 30) }
    assert_nil hckns.started
    assert_equal 'exited', hckns.exited['event']
    assert_equal [127, 'failed', 'hckns-no-such-command: command not found'],
                 [error.exit.exit_status, error.exit.how, error.exit.error]
    assert_equal 127, error.exit.status.exitstatus
  end

  # ---- the run loop: README, Scripts and Signals --------------------------------------------

  # Ruby's pipes as they come (non-blocking, for hckns too): 3,001 tagged
  # requests written at once, one of them add_hostfwd; for 1 s nobody reads
  # an answer (hckns may stop reading requests meanwhile: backpressure);
  # then everything is read. Every request has its answer, in order, the
  # add_hostfwd its id, and the forward is there; one request more closes
  # the sequence and lists it.
  def test_many_answers_read_late
    port = free_port
    h = spawn_raw('sleep', '60')
    ready = status_line(h.status, now + 30, 'ready line')
    assert_equal 'ready', ready&.fetch('event'), hckns_stderr
    n = 3001
    add_at = 2500
    requests = Array.new(n) do |i|
      if i == add_at
        { execute: 'add_hostfwd', arguments: { host_port: port, guest_port: GUEST_PORT }, tag: i }
      else
        { execute: 'list_hostfwd', tag: i }
      end
    end
    out = requests.map { |r| "#{JSON.generate(r)}\n" }.join
    total = out.bytesize
    quiet_end = now + 1
    out = write_some(h.ctl_w, out, [quiet_end - now, 0.05].max) until out.empty? || now >= quiet_end
    written_quiet = total - out.bytesize
    sleep [quiet_end - now, 0].max

    out += "#{JSON.generate(execute: 'list_hostfwd', tag: 'after')}\n"
    answers = []
    after = nil
    deadline = now + 30
    until after
      out = write_some(h.ctl_w, out, 0.01) unless out.empty?
      line = h.answers.line_by(out.empty? ? deadline : [now + 0.01, deadline].min)
      if line.nil? || (line == :timeout && now >= deadline)
        flunk "#{answers.size} answers to #{n} requests, and none to the last one, " \
              "#{line.nil? ? 'then EOF' : 'in 30 s'} (#{written_quiet} of #{total} bytes of " \
              "requests written in the quiet second): #{hckns_stderr}"
      end
      next if line == :timeout

      answer = JSON.parse(line)
      if answer['tag'] == 'after'
        after = answer
      else
        answers << answer
      end
    end

    missing = (0...n).to_a - answers.map { |a| a['tag'] }
    assert_equal n, answers.size,
                 "answers to #{n} requests read 1 s late (#{written_quiet} of #{total} bytes of " \
                 "requests written meanwhile); #{missing.size} tags missing, first " \
                 "#{missing.first(5).inspect}; the add_hostfwd (tag #{add_at}) " \
                 "#{missing.include?(add_at) ? 'unanswered' : 'answered'}; " \
                 "forwards after: #{after['return'].inspect}"
    assert_equal (0...n).to_a, answers.map { |a| a['tag'] }, 'the answers in order'
    id = answers[add_at].dig('return', 'id')
    assert_kind_of Integer, id, "the add_hostfwd's answer: #{answers[add_at]}"
    errors = answers.reject { |a| a['return'].is_a?(Hash) }
    assert_empty errors, 'error answers'
    assert_equal [entry(id, port, GUEST_PORT)], after.dig('return', 'entries'), 'the forwards after'

    Process.kill(:TERM, h.pid)
    lines = status_lines(h.status, now + 20)
    assert_equal 143, reap(h.pid, now + 10).exitstatus, hckns_stderr
    assert_equal 'exited', lines.last&.fetch('event')
    assert_nil h.answers.line_by(now + 5), 'no answer more'
  end

  # The answer pipe blocking for hckns and nobody reading it: answers fill
  # it, yet SIGTERM to hckns still reaches the command within a few
  # seconds (hckns must not sit in write()). Then the answers read are a
  # prefix of the requests, in order, and the status lines end with
  # "exited".
  def test_blocked_reader_does_not_stall
    got = File.join(@tmp, 'got')
    ready_file = File.join(@tmp, 'ready')
    script = <<~'SH'
      trap 'echo term >>"$1"; exit 0' TERM
      echo >"$2"
      i=0
      while [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
    SH
    h = spawn_raw('sh', '-c', script, 'sh', got, ready_file, answers_blocking: true)
    assert_equal 'ready', status_line(h.status, now + 30, 'ready line')&.fetch('event'), hckns_stderr
    assert_equal 'started', status_line(h.status, now + 10, 'started line')&.fetch('event'), hckns_stderr
    wait_for_file(ready_file, 10, 'the command did not start')

    # Twice the pipe's worth of answers (each about 37 bytes).
    capacity = h.ans_r.fcntl(F_GETPIPE_SZ)
    n = capacity * 2 / 30
    out = Array.new(n) { |i| "#{JSON.generate(execute: 'list_hostfwd', tag: i)}\n" }.join
    total = out.bytesize
    deadline = now + 30
    until unread_bytes(h.ans_r) >= capacity - 4096
      if now > deadline
        flunk "the answers never filled their pipe: #{unread_bytes(h.ans_r)} of #{capacity} bytes, " \
              "#{total - out.bytesize} of #{total} bytes of requests written: #{hckns_stderr}"
      end
      out.empty? ? sleep(0.02) : out = write_some(h.ctl_w, out, 0.02)
    end
    written = total - out.bytesize
    unread = unread_bytes(h.ans_r)

    Process.kill(:TERM, h.pid)
    deadline = now + 10
    until File.size?(got)
      if now > deadline
        flunk "the command did not get SIGTERM within 10 s of hckns getting it, with " \
              "#{unread} bytes of answers unread in their (blocking) pipe and #{written} of " \
              "#{total} bytes of requests written: #{hckns_stderr}"
      end
      sleep 0.02
    end
    assert_equal "term\n", File.read(got), 'what the command got'

    answers = []
    deadline = now + 30
    while (line = h.answers.line_by(deadline))
      flunk "the answers did not end (hckns did not) in 30 s: #{hckns_stderr}" if line == :timeout
      answers << JSON.parse(line)
    end
    lines = status_lines(h.status, now + 20)
    status = reap(h.pid, now + 10)
    assert_operator answers.size, :<=, n
    assert_equal (0...answers.size).to_a, answers.map { |a| a['tag'] },
                 'the answers: a prefix of the requests, in order'
    assert(answers.all? { |a| a['return'] == { 'entries' => [] } }, 'every answer a list')
    assert_equal 'exited', lines.last&.fetch('event'), "the status lines: #{lines}"
    assert_equal [0, 'exited', 0], [lines.last['exit_status'], lines.last['how'], lines.last['code']]
    assert_equal 0, status.exitstatus, hckns_stderr
  end

  # A SIGTERM right after hckns starts is handled like
  # any other: exit 143 and an exited line naming it (during the setup:
  # how "failed", error "interrupted by SIGTERM ..."; once the command
  # runs: how "killed", relayed).  Sent the way README tells a script to:
  # once /proc/PID/status shows SIGTERM blocked, which hckns does at its
  # first instruction (before that, the kernel is still starting it, and
  # the signal ends it as it ends any program).  Raw spawn, and the gem's
  # Instance#signal, which waits so.
  def assert_ended_by_term(lines, status, said)
    refute status.signaled?, "hckns was killed by the signal outright: #{said}"
    assert_equal 143, status.exitstatus, said
    last = lines.last || {}
    assert_equal ['exited', 143], [last['event'], last['exit_status']], said
    case last['how']
    when 'failed'
      assert_match(/interrupted by SIGTERM during setup/, last['error'].to_s, said)
    when 'killed'
      assert_equal [15, 'TERM'], [last['signal'], last['signal_name']], said
    else
      flunk "how: #{last['how'].inspect}: #{said}"
    end
  end

  def test_sigterm_right_after_spawn
    5.times do |try|
      err = File.join(@tmp, "hckns-#{try}.err")
      status_r, status_w = IO.pipe
      pid = spawn(@env, HCKNS, '--status-fd', status_w.fileno.to_s, '--', 'sleep', '30',
                  status_w => status_w, err: err)
      @pids << pid
      deadline = now + 5
      until File.foreach("/proc/#{pid}/status").find { |l| l.start_with?('SigBlk:') }
                .split[1].to_i(16)[14] == 1
        flunk "hckns did not block SIGTERM within 5 s" if now > deadline
        sleep 0.0005
      end
      Process.kill(:TERM, pid)
      status_w.close
      lines = status_lines(Hckns::LineReader.new(status_r), now + 30)
      status = reap(pid, now + 10)
      assert_ended_by_term(lines, status, "try #{try + 1} of 5: hckns #{status.inspect}, " \
                           "status lines #{lines}, stderr #{File.read(err).inspect}")
      status_r.close
    end
  end

  def test_signal_right_after_start
    5.times do |try|
      h = Hckns::Instance.start('sleep', '30', hckns: HCKNS, env: @env)
      h.signal(:TERM)
      e = h.wait(timeout: 30)
      assert_ended_by_term([h.exited].compact, e.status, "try #{try + 1} of 5: #{e.inspect}")
    end
  end

  # hckns started in a process group of its own (spawn(pgroup: true)) and
  # that whole group sent SIGTERM, as a script ending a job does: the
  # command's trap runs exactly once, every time, and hckns exits 0 as the
  # command did (slirp4netns and the rest do not die of the group signal).
  # The trap cleans up for a moment before it exits, as a real command's
  # does: a second SIGTERM (the group's, then hckns's relay) lands in it
  # and runs it again; an instant trap hides that on a slow machine (the
  # relay comes after the command has ended).
  def test_group_signal_reaches_command_once
    script = <<~'SH'
      trap 'echo t >>"$1"; sleep 0.2; exit 0' TERM
      echo >"$2"
      i=0
      while [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    SH
    10.times do |try|
      count = File.join(@tmp, "count-#{try}")
      ready_file = File.join(@tmp, "ready-#{try}")
      h = client('sh', '-c', script, 'sh', count, ready_file,
                 spawn_options: { pgroup: true }).start
      @pids << h.pid
      h.wait_started(timeout: 30)
      wait_for_file(ready_file, 10, "try #{try + 1}: the command did not start")
      Process.kill(:TERM, -h.pid)
      result = h.wait(timeout: 20)
      said = "try #{try + 1} of 10: #{result.to_h.except(:status)}, #{result.status.inspect}, " \
             "stderr #{hckns_stderr.inspect}"
      runs = File.exist?(count) ? File.readlines(count).size : 0
      assert_equal 1, runs, "the command's TERM trap ran #{runs} times: #{said}"
      assert_equal [0, 'exited', 0], [result.exit_status, result.how, result.code], said
      assert_equal 0, result.status.exitstatus, said
    end
  end

  # With a valid --status-fd, a failure before "ready" still ends with an
  # "exited" line saying how: a bad option value (checked while parsing,
  # given after or before --status-fd; or checked in the preflight), a
  # failed preflight (no slirp4netns in PATH): how "failed", exit status
  # 125, and hckns's message, the one it writes on stderr. A command that
  # cannot be executed (not found: 127; not executable: 126): no "started"
  # line, and "exited" with that exit status, how "failed" and the message.
  # Every case is run and all that differs is reported together.
  def test_failure_before_ready_reported
    empty_path = File.join(@tmp, 'empty-bin')
    Dir.mkdir(empty_path)
    noexec = File.join(@tmp, 'not-executable')
    File.write(noexec, "#!/bin/sh\nexit 0\n")
    File.chmod(0o644, noexec)
    cases = [
      ['--mtu 1 after --status-fd', %w[S --mtu 1 -- true], {}, 125],
      ['--mtu 1 before --status-fd', %w[--mtu 1 S -- true], {}, 125],
      ['--publish 99999 (checked in the preflight)', %w[S --publish 99999 -- true], {}, 125],
      ['slirp4netns not in PATH', %w[S -- /bin/true], { 'PATH' => empty_path }, 125],
      ['a command not found', %w[S -- hckns-no-such-command], {}, 127],
      ['a command not executable', ['S', '--', noexec], {}, 126]
    ]
    problems = cases.each_with_index.flat_map do |(what, args, env, code), i|
      err = File.join(@tmp, "case-#{i}.err")
      status_r, status_w = IO.pipe
      argv = args.flat_map { |a| a == 'S' ? ['--status-fd', status_w.fileno.to_s] : [a] }
      pid = spawn(@env.merge(env), HCKNS, *argv, status_w => status_w, err: err)
      @pids << pid
      status_w.close
      lines = status_lines(Hckns::LineReader.new(status_r), now + 30)
      status_r.close
      status = reap(pid, now + 10)
      stderr = File.read(err)
      last = lines.last || {}
      said = "#{what} (hckns #{argv.join(' ')}): exit #{status.exitstatus.inspect}, status lines " \
             "#{lines.map { |l| l.except('namespaces', 'forwards') }}, stderr #{stderr.inspect}"
      got = []
      got << 'hckns did not exit with it' unless status.exitstatus == code
      got << 'no exited line' unless last['event'] == 'exited'
      got << 'not exit_status, how failed' unless [last['exit_status'], last['how']] == [code, 'failed']
      got << 'its error is not what stderr says' unless stderr == "hckns: #{last['error']}\n"
      got << 'a started line' if lines.any? { |l| l['event'] == 'started' }
      got.empty? ? [] : ["#{said}: #{got.join(', ')} (expected #{code})"]
    end
    assert problems.empty?, "#{problems.size} of #{cases.size} cases differ:\n#{problems.join("\n")}"
  end
end
