# frozen_string_literal: true

# hckns driven from Ruby exactly as AutoHCK drives it (issue 3): spawn with
# pipes for status and control, wait for "ready" with one read, a TCP
# server inside (the command itself), forwards added and removed while it
# runs, proven by connecting from this host to 127.0.0.1; stop; the exit
# status; nothing left: no runtime directory, no listening port, no process
# in the instance's user namespace.  Also: started with --publish, one
# control descriptor for both directions, and the driving Ruby process
# killed with SIGKILL.
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

  def client(*command, **kw)
    Hckns::Instance.new(*command, hckns: HCKNS, env: @env,
                                  spawn_options: { err: File.join(@tmp, 'hckns.err') }, **kw)
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
end
