# The steps of install-agent.sh, as functions its test can run on their own (sourced by both).

# copy_agent SRC DEST: puts in DEST what the agent runs from, laid out as in the checkout SRC (built
# with `npm ci && npm run build`): the agent's bin/ and dist/, the shared package's dist/, and the
# agent's production dependencies as `npm ls` lists them. Nothing else of the checkout (a control
# plane's data/ or backups/ beside it, its sources, dev tools). DEST is replaced as a whole.
copy_agent() {
  src=$(cd "$1" && pwd -P)
  dest=$2
  case "$src/" in "$dest"/*) echo "run this from a checkout outside $dest" >&2; return 1 ;; esac
  if [ ! -f "$src/agent/dist/cli/main.js" ] || [ ! -f "$src/shared/dist/index.js" ]; then
    echo "the agent is not built: run npm ci && npm run build in $src" >&2
    return 1
  fi
  deps=$(cd "$src" && npm ls --omit=dev --workspace agent --parseable --all) || {
    echo "npm ls could not list the agent's dependencies: run npm ci in $src" >&2
    return 1
  }
  staging="$dest.new"
  rm -rf "$staging"
  mkdir -p "$staging/agent" "$staging/shared" "$staging/node_modules/@holdfast"
  cp -a "$src/agent/package.json" "$src/agent/bin" "$src/agent/dist" "$staging/agent/"
  cp -a "$src/shared/package.json" "$src/shared/dist" "$staging/shared/"
  # The workspace packages are links, as npm makes them.
  ln -s ../../agent "$staging/node_modules/@holdfast/agent"
  ln -s ../../shared "$staging/node_modules/@holdfast/shared"
  printf '%s\n' "$deps" | while IFS= read -r dir; do
    rel=${dir#"$src"/}
    case "$rel" in
      "$dir" | node_modules/@holdfast/*) continue ;; # the root itself; the workspace links above
    esac
    mkdir -p "$staging/$rel"
    cp -a "$dir/." "$staging/$rel/"
  done
  rm -rf "$dest"
  mv "$staging" "$dest"
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
