# Sourced by the benchmark scripts: first_line FILE WHAT prints the first line a server just
# started in the background writes to FILE (its URL), waiting up to 5 s, or exits 1 saying
# that WHAT did not start.
first_line() {
  local file="$1" what="$2" line=""
  for _ in $(seq 100); do
    line=$(head -n 1 "$file" 2>/dev/null)
    if [ -n "$line" ]; then
      printf '%s\n' "$line"
      return 0
    fi
    sleep 0.05
  done
  echo "$what did not start" >&2
  exit 1
}
