-- wrk script of `cargo xtask loadtest-http`: authenticated reads of one project (the project,
-- its status, a page of its facts) and project creation, in the proportions 3:3:3:1, all as
-- one signed-in user whose token and project come from the environment. At the end it prints
-- one line `RESULT {json}` with the request count, errors and latency percentiles (µs).

local token = os.getenv("SOCRATES_TOKEN")
local project = os.getenv("SOCRATES_PROJECT")
local counter = 0

wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"

local reads = {
  "/api/v1/projects/" .. project,
  "/api/v1/projects/" .. project .. "/status",
  "/api/v1/specifications/project/" .. project .. "?limit=20",
}

request = function()
  counter = counter + 1
  local slot = counter % 10
  if slot == 9 then
    return wrk.format("POST", "/api/v1/projects", nil, '{"name":"Load ' .. counter .. '"}')
  end
  return wrk.format("GET", reads[(slot % 3) + 1])
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.timeout, errors.status, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
