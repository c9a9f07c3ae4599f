-- bench/wrk/transition.lua: accept, then ready, pre-placed orders (data:
-- rid, oid, token).  Each thread owns its share of the orders.  An order
-- is made ready only once its accept has answered 200 with status
-- ACCEPTED (read from the response), so the two steps never race, and
-- every request moves a different order one step: accepts and readies
-- alternate while both are possible.  When the orders run out, requests
-- repeat an accept on a READY order (a 409, counted as an error and
-- reported as exhausted): never a fake success.
local lib = dofile(os.getenv("BENCH_WRK") .. "/lib.lua")
local rows, byid, a, readyq, qh, turn

function setup(thread) lib.setup(thread) end

function init(args)
   local n = tonumber(os.getenv("BENCH_THREADS")) or 2
   rows = lib.rows(tonumber(wrk.thread:get("tid")) or 0, n)
   byid = {}
   for _, row in ipairs(rows) do byid[row[2]] = row end
   a, readyq, qh, turn = 0, {}, 1, 0
end

local function post(row, what)
   return wrk.format("POST", "/v1/orders/" .. row[2] .. "/" .. what,
      { ["Authorization"] = "Bearer " .. row[3] })
end

function request()
   turn = turn + 1
   local have_ready = qh <= #readyq
   if a < #rows and (turn % 2 == 1 or not have_ready) then
      a = a + 1
      return post(rows[a], "accept")
   end
   if have_ready then
      local row = readyq[qh]
      readyq[qh] = nil
      qh = qh + 1
      return post(row, "ready")
   end
   wrk.thread:set("exhausted", 1)
   return post(rows[1], "accept")
end

function response(status, headers, body)
   if status ~= 200 then return end
   local oid, st = string.match(body, '"orderId":"([^"]+)".-"status":"(%u+)"')
   if st == "ACCEPTED" and byid[oid] then
      readyq[#readyq + 1] = byid[oid]
   end
end

done = lib.done
