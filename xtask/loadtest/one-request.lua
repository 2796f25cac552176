-- wrk script of `cargo xtask bench-overhead`: one request, again and again, as one signed-in
-- user: SOCRATES_METHOD (GET or POST) on SOCRATES_PATH, with SOCRATES_BODY for a POST (a
-- `{n}` in it becomes a counter, so every project has its own name). Prints one line
-- `RESULT {json}` with the request count, errors and latency percentiles (µs).

local token = os.getenv("SOCRATES_TOKEN")
local method = os.getenv("SOCRATES_METHOD") or "GET"
local path = os.getenv("SOCRATES_PATH")
local body = os.getenv("SOCRATES_BODY")
local counter = 0

wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"

request = function()
  counter = counter + 1
  if body then
    return wrk.format(method, path, nil, (string.gsub(body, "{n}", tostring(counter))))
  end
  return wrk.format(method, path)
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.timeout, errors.status, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
