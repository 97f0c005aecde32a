# The steps of install-agent.sh, as functions its test can run on their own (sourced by both).

# copy_agent SRC DEST: puts in DEST what the agent runs from, laid out as in the checkout SRC (built
# with `npm ci && npm run build`): the agent's bin/ and dist/, the shared package's dist/, and the
# agent's production dependencies as `npm ls` lists them. Nothing else of the checkout (a control
# plane's data/ or backups/ beside it, its sources, dev tools). DEST is replaced as a whole. The copy
# is the one the agent package's build makes (install/package/copy-agent-app.mjs).
copy_agent() {
  node "$1/install/package/copy-agent-app.mjs" "$1" "$2"
}

# as_service_user USER COMMAND...: runs COMMAND as USER (the test runs it as itself).
as_service_user() {
  user=$1
  shift
  runuser -u "$user" -- "$@"
}

# enroll_agent SERVER PREFIX DATA_DIR USER: enrolls the agent installed in PREFIX as USER. The token
# goes from HOLDFAST_ENROLL_TOKEN into a 0600 file only USER can read, removed afterwards: it never
# appears on a command line (printf is a shell builtin), and the variable is not passed on.
enroll_agent() {
  token_dir=$(mktemp -d)
  trap 'rm -rf "$token_dir"' EXIT
  (umask 077 && printf '%s\n' "$HOLDFAST_ENROLL_TOKEN" > "$token_dir/token")
  unset HOLDFAST_ENROLL_TOKEN
  chown -R "$4" "$token_dir"
  as_service_user "$4" node "$2/agent/bin/holdfast-agent.js" enroll --server "$1" --data-dir "$3" --token-file "$token_dir/token"
  rm -rf "$token_dir"
  trap - EXIT
}
