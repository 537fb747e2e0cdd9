// SPDX-License-Identifier: MIT
/*
 * Runs every unit-test suite (thom311/libnl tests/check-all.c style).
 *
 * Check forks each test (unless CK_FORK=no, as under valgrind), so a test
 * that crashes is reported as an error and the others still run.
 * CK_RUN_SUITE and CK_RUN_CASE select suites and test cases as usual.
 *
 * Exit status: the number of failed tests (capped at 255, so that a large
 * count cannot wrap around to 0), 0 when all pass.
 */
#include <stddef.h>
#include <stdlib.h>

#include "suites.h"

static Suite *(*const suites[])(void) = {
	make_proto_suite,
	make_frontend_suite,
	make_topology_suite,
	make_fwd_suite,
	make_control_suite,
	make_subids_suite,
	make_doctor_suite,
	make_run_suite,
	make_keeper_suite,
};

int main(void)
{
	SRunner *runner;
	int nfailed;

	runner = srunner_create(suites[0]());
	for (size_t i = 1; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(runner, suites[i]());

	/* CK_NORMAL prints the summary line and every failure. */
	srunner_run_all(runner, CK_NORMAL);
	nfailed = srunner_ntests_failed(runner);
	srunner_free(runner);

	return nfailed > 255 ? 255 : nfailed;
}
