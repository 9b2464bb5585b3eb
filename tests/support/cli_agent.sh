#!/bin/sh
# A CLI agent for the tests, as a user would write one: the prompt comes on stdin, the reply goes
# to stdout in the form each phase's prompt asks for.
prompt=$(cat)
case "$prompt" in
  *"As the judge"*|*"Vote for the best proposal"*)
    name=$(printf '%s\n' "$prompt" | sed -n 's/.* is one of \([A-Za-z0-9._-]*\).*/\1/p' | head -n 1)
    case "$prompt" in *"As the judge"*) word=WINNER ;; *) word=VOTE ;; esac
    printf '%s: %s\nCONFIDENCE: 0.7\nIt is the clearest plan.\n' "$word" "$name" ;;
  *"Critique this proposal"*)
    printf 'SEVERITY: 2\nISSUES:\n- the rollout plan is thin\n' ;;
  *)
    printf 'Adopt it in stages, starting with the stateless services.\n' ;;
esac
