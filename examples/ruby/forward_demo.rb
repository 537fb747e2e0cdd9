# frozen_string_literal: true

# ruby -I ruby/lib examples/ruby/forward_demo.rb [PORT]: a TCP server inside
# the network (busybox nc, answering "hello from inside"), reached from this
# host through a forward added while it runs. HCKNS names the hckns program
# (default: hckns).

require 'hckns'
require 'socket'

port = Integer(ARGV[0] || 8080)
server = ['sh', '-c', 'busybox nc -ll -p 80 -e echo hello from inside & sleep 60']
result = Hckns.run(*server, hckns: ENV.fetch('HCKNS', 'hckns')) do |h|
  puts "network ready, runtime directory #{h.ready['runtime_dir']}"
  id = h.add_forward(port, guest_port: 80)
  puts "forward #{id}: 127.0.0.1:#{port} -> #{h.forwards.first['guest_addr']}:80"
  answer = ''
  50.times do # the server inside may still be starting
    answer = TCPSocket.open('127.0.0.1', port, &:read)
    break unless answer.empty?

    sleep 0.1
  end
  puts "the server inside says: #{answer}"
  h.remove_forward(id)
end
puts "hckns ended: #{result.exit_status} (#{result.how})"
