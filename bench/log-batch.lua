-- wrk script: POSTs log-batch requests of 1000 distinct metric points (100 steps x 10 keys).
-- Usage: wrk -t1 -c4 -d2s -s bench/log-batch.lua http://127.0.0.1:PORT -- <run_id>
local run_id = "missing"
local step = 0
local keys = {}
for i = 0, 9 do keys[i + 1] = "metric_" .. i end
local failures = 0

function init(args)
  run_id = args[1] or run_id
end

function request()
  local parts = {}
  local n = 0
  for _ = 1, 100 do
    local ts = 1700000000000 + step
    for k = 1, 10 do
      n = n + 1
      parts[n] = string.format('{"key":"%s","value":%.9g,"timestamp":%d,"step":%d}', keys[k], math.sin(step) + step / 1e4, ts, step)
    end
    step = step + 1
  end
  local body = '{"run_id":"' .. run_id .. '","metrics":[' .. table.concat(parts, ",") .. "]}"
  return wrk.format("POST", "/api/2.0/mlflow/runs/log-batch", { ["Content-Type"] = "application/json" }, body)
end

function response(status)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary)
  io.write(string.format("WRK_RESULT requests=%d duration_us=%d errors=%d\n", summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
