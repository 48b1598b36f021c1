-- wrk script for bench:proxy: GET each route in turn, the same paths and headers as the
-- autocannon runs (/user/u<i>/api/contents/notebook<i mod 7>.ipynb?content=0, a session cookie). Each wrk thread starts at its
-- own offset so threads do not walk the routes in lockstep.
local routes = tonumber(os.getenv("BENCH_ROUTES") or "1000")
local cookie = os.getenv("BENCH_COOKIE") or ""
local counter = 0
local threads = 0

function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  local i = counter % routes
  local headers = { ["Accept"] = "application/json" }
  if cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", "/user/u" .. i .. "/api/contents/notebook" .. (i % 7) .. ".ipynb?content=0", headers)
end
