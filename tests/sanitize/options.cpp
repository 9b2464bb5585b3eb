// The sanitizer runtime options of the ARAGORA_SANITIZE build (scripts/sanitize), linked into
// every executable of that build, so a test run by ctest, by hand, or as a subprocess (aragora,
// crash_child) stops at the first finding and reads the same suppressions. The environment
// (ASAN_OPTIONS, UBSAN_OPTIONS) still overrides them.
//
// UBSan is compiled recoverable and halts here at run time (halt_on_error=1): a suppression only
// silences a recoverable check; with -fno-sanitize-recover the runtime dies even on a suppressed
// report.

extern "C" {

__attribute__((used, visibility("default"))) const char* __asan_default_options() {
  return "halt_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1:"
         "detect_stack_use_after_return=1:abort_on_error=0";
}

__attribute__((used, visibility("default"))) const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:report_error_type=1:"
         "suppressions=" ARAGORA_UBSAN_SUPPRESSIONS;
}

}
