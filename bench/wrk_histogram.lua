-- Prints every latency wrk saw as "microseconds:count" pairs on one line, so that the API bench
-- can pool the latencies of many short runs before it takes their percentiles.
-- latency(i) answers the i-th distinct value (from 1) and its count, and 0 past the last one.
done = function(summary, latency, requests)
  local i, seen = 1, {}
  while true do
    local value, count = latency(i)
    if value == 0 then break end
    seen[#seen + 1] = string.format("%d:%d", value, count)
    i = i + 1
  end
  io.write("histogram ", table.concat(seen, " "), "\n")
end
