# The Ruby suite (tests/ruby/test_hckns.rb, minitest): hckns driven from
# Ruby as AutoHCK drives it.  One test here per minitest test, so that it
# runs within the integration suite, as root and as the unprivileged user,
# under the suite's time limit.  Skipped, with the reason, without ruby or
# its minitest.

RUBY_TESTS=$(dirname "${BASH_SOURCE[0]}")/../ruby/test_hckns.rb

# ruby_test NAME: run the minitest test NAME alone; it must be the one test
# run, and pass.
ruby_test() {
	local out=$TEST_TMP/minitest.out
	command -v ruby >/dev/null || skip "ruby is not installed (Debian: apt install ruby)"
	ruby -e 'require "minitest"' 2>/dev/null ||
		skip "ruby's minitest is not installed (Debian: apt install ruby)"
	[ -f "$RUBY_TESTS" ] || fail "$RUBY_TESTS is missing"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	timeout -k 5 50 ruby "$RUBY_TESTS" --verbose --name "$1" >"$out" 2>&1 </dev/null
	grep -q '^1 runs, [0-9]* assertions, 0 failures, 0 errors, 0 skips$' "$out" ||
		fail "minitest $1: $(cat "$out")"
}

test_forward_added_at_run_time() { ruby_test test_forward_added_at_run_time; }
test_publish_at_start() { ruby_test test_publish_at_start; }
test_control_one_descriptor() { ruby_test test_control_one_descriptor; }
test_driver_killed() { ruby_test test_driver_killed; }
test_run_block() { ruby_test test_run_block; }
test_request_error() { ruby_test test_request_error; }
test_start_error() { ruby_test test_start_error; }
test_pipeline_many_requests() { ruby_test test_pipeline_many_requests; }
test_wait_started() { ruby_test test_wait_started; }
# The run loop (doc/design.md, Signals; README, Scripts): answers never dropped, a slow reader never stalls
# hckns, a signal right after spawn, a group signal once, failures before
# ready reported.
test_many_answers_read_late() { ruby_test test_many_answers_read_late; }
test_blocked_reader_does_not_stall() { ruby_test test_blocked_reader_does_not_stall; }
test_sigterm_right_after_spawn() { ruby_test test_sigterm_right_after_spawn; }
test_signal_right_after_start() { ruby_test test_signal_right_after_start; }
test_group_signal_reaches_command_once() { ruby_test test_group_signal_reaches_command_once; }
test_failure_before_ready_reported() { ruby_test test_failure_before_ready_reported; }

# ruby/ is a gem that `gem build` makes, holding the library the tests use.
test_gem_builds() {
	local src=$(dirname "${BASH_SOURCE[0]}")/../../ruby
	command -v gem >/dev/null || skip "gem is not installed (Debian: apt install ruby)"
	cp -r "$src" "$TEST_TMP/gem" || fail "copy $src"
	(cd "$TEST_TMP/gem" && gem build hckns.gemspec) >"$TEST_TMP/gem.out" 2>&1 ||
		fail "gem build: $(cat "$TEST_TMP/gem.out")"
	tar -xOf "$TEST_TMP"/gem/hckns-*.gem data.tar.gz | tar -tz >"$TEST_TMP/files" ||
		fail "the gem cannot be read"
	assert_eq "$(cat "$TEST_TMP/files")" "lib/hckns.rb" "the gem's files"
}

# Every minitest test has its line above.
test_every_ruby_test_runs() {
	local rb sh
	[ -f "$RUBY_TESTS" ] || fail "$RUBY_TESTS is missing"
	rb=$(sed -n 's/^  def \(test_[a-z0-9_]*\)$/\1/p' "$RUBY_TESTS" | sort)
	sh=$(sed -n 's/^test_[a-z0-9_]*() { ruby_test \(test_[a-z0-9_]*\); }$/\1/p' \
		"${BASH_SOURCE[0]}" | sort)
	[ -n "$rb" ] || fail "no tests found in $RUBY_TESTS"
	assert_eq "$rb" "$sh" "the minitest tests t-ruby.sh runs"
}
