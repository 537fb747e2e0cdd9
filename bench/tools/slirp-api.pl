#!/usr/bin/perl
# slirp-api.pl SOCKET JSON: one request to slirp4netns's API socket (one
# request per connection: write, shut down the write side, read to EOF);
# prints the reply.  For the "raw slirp4netns" baselines of bench/run.sh.
use strict;
use warnings;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);

@ARGV == 2 or die "usage: slirp-api.pl SOCKET JSON\n";
my ($path, $req) = @ARGV;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path)
	or die "slirp-api.pl: connect $path: $!\n";
$s->syswrite($req) == length($req) or die "slirp-api.pl: write: $!\n";
$s->shutdown(1);
my ($reply, $buf) = ('', '');
while ($s->sysread($buf, 4096)) { $reply .= $buf; }
print "$reply\n";
exit($reply =~ /"error"/ ? 1 : 0);
