# frozen_string_literal: true

# dns-responder.rb ADDR NAME IPV4 LOG [SECONDS]: a DNS server for
# t-slirp-hardening.sh that knows one name and asks no one else.  On UDP
# ADDR:53 it answers a query for NAME of type A with the one record
# "NAME A IPV4", a query for NAME of another type with no record (NOERROR,
# no answer), any other name with NXDOMAIN.  It writes "ready" to LOG once
# it listens, then one line a query ("query NAME TYPE from HOST"), and exits
# after 100 queries or SECONDS (default 30), whichever comes first.
# It lives beside the t-*.sh files (suite.sh runs only those) so that
# run-all.sh's copy of this directory for the unprivileged user has it.
require 'socket'

addr, name, ipv4, log_path, secs = ARGV
abort 'usage: dns-responder.rb ADDR NAME IPV4 LOG [SECONDS]' unless log_path
deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + (secs || 30).to_f
record = ipv4.split('.').map(&:to_i).pack('C4')
want = name.downcase.chomp('.')

log = File.open(log_path, 'a')
log.sync = true
sock = UDPSocket.new
sock.bind(addr, 53)
log.puts 'ready'

# The question of a query: [name, type, the question's bytes], or nil.
def question(msg)
  return nil if msg.bytesize < 12 || msg.getbyte(2) & 0x80 != 0 ||
                msg.unpack1('@4n') != 1
  pos = 12
  labels = []
  loop do
    len = msg.getbyte(pos) or return nil
    pos += 1
    break if len.zero?
    return nil if len > 63 || pos + len > msg.bytesize

    labels << msg.byteslice(pos, len)
    pos += len
  end
  return nil if pos + 4 > msg.bytesize

  [labels.join('.').downcase, msg.unpack1("@#{pos}n"), msg.byteslice(12, pos + 4 - 12)]
end

100.times do
  left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
  break if left <= 0
  next unless sock.wait_readable(left)

  msg, from = sock.recvfrom(512)
  q = question(msg) or next
  qname, qtype, qbytes = q
  log.puts "query #{qname} #{qtype} from #{from[3]}"
  id = msg.byteslice(0, 2)
  rd = msg.getbyte(2) & 0x01
  if qname != want
    reply = id + [0x84 | rd, 0x83, 1, 0, 0, 0].pack('CCnnnn') + qbytes
  elsif qtype == 1
    answer = [0xc00c, 1, 1, 60, 4].pack('nnnNn') + record
    reply = id + [0x84 | rd, 0x80, 1, 1, 0, 0].pack('CCnnnn') + qbytes + answer
  else
    reply = id + [0x84 | rd, 0x80, 1, 0, 0, 0].pack('CCnnnn') + qbytes
  end
  sock.send(reply, 0, from[3], from[1])
end
