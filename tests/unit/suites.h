/* SPDX-License-Identifier: MIT */
/*
 * The unit-test suites run by check_main.c: one constructor per test file.
 * To add a suite, declare its make_<name>_suite() here and add it to the
 * table in check_main.c.
 */
#ifndef HCKNS_TESTS_SUITES_H
#define HCKNS_TESTS_SUITES_H

#include <check.h>

Suite *make_proto_suite(void);		/* test_proto.c */
Suite *make_frontend_suite(void);	/* test_frontend.c */
Suite *make_topology_suite(void);	/* test_topology.c */
Suite *make_fwd_suite(void);		/* test_fwd.c */
Suite *make_control_suite(void);	/* test_control.c */
Suite *make_subids_suite(void);		/* test_subids.c */
Suite *make_doctor_suite(void);		/* test_doctor.c */
Suite *make_run_suite(void);		/* test_run.c */
Suite *make_keeper_suite(void);		/* test_keeper.c */

#endif
