-- wrk script: print the run's numbers as one JSON line for bench/serve.py to parse.
-- No request()/response() hooks on purpose: per-request Lua would slow the client, which
-- shares the two cores with nginx. wrk counts responses with status >= 400 in
-- errors.status; the bench sends no conditional headers, so no 3xx/304 can occur either.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "status_errors": %d, ' ..
    '"latency_mean_us": %.1f, "latency_p50_us": %d, "latency_p99_us": %d, "latency_max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.timeout, e.status, latency.mean, latency:percentile(50), latency:percentile(99),
    latency.max))
end
