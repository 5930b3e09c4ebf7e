-- wrk script: POST distinct login events (unique ids per thread) with realistic repetition.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(thread_id * 7919)
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("TG_KEY")
  wrk.headers["Content-Type"] = "application/json"
end

request = function()
  counter = counter + 1
  local seconds = counter * 3 + thread_id
  local day = 1 + math.floor(seconds / 86400) % 28
  local clock = seconds % 86400
  local body = string.format(
    '{"id":"wrk-%d-%d","occurred_at":"2026-10-%02dT%02d:%02d:%02dZ","account_id":"cust-%d",'
    .. '"ip":"%d.%d.%d.%d","device_id":"dev-%d","user_agent":"wrk","success":%s}',
    thread_id, counter, day, math.floor(clock / 3600), math.floor(clock / 60) % 60, clock % 60,
    math.random(1, 5000), math.random(1, 223), math.random(0, 255), math.random(0, 255),
    math.random(1, 254), math.random(1, 8000), (math.random() < 0.9) and "true" or "false")
  return wrk.format("POST", "/v1/events/login", nil, body)
end
