-- wrk script of bench/gateway.ts (after shared/lab/perf-anchor/soap.lua). Environment:
--   SOAP_SERVICE  service type (default WANIPConnection:2)
--   SOAP_ACTION   action name (default GetExternalIPAddress)
--   SOAP_ARGS     inner XML of the action element (default empty)
--   CONN_CLOSE=1  add "Connection: close" (a new TCP connection per request)
--   PAIRS=UDP|TCP alternate AddPortMapping / DeletePortMapping of the same port. Run with -tN -cN
--                 (one connection per wrk thread, so each Delete follows its own Add on the same
--                 connection). PAIR_BASE (default 20000) + thread * PAIR_SPAN (default 1000) + k % span;
--                 PAIR_CLIENT = NewInternalClient (default 127.0.0.1).
-- done() prints one line: GWBENCH_JSON {...}
local svc  = os.getenv("SOAP_SERVICE") or "urn:schemas-upnp-org:service:WANIPConnection:2"
local act  = os.getenv("SOAP_ACTION")  or "GetExternalIPAddress"
local args = os.getenv("SOAP_ARGS")    or ""
local close = os.getenv("CONN_CLOSE") == "1"
local pairs_proto = os.getenv("PAIRS")

local function envelope(action, inner)
  return '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' ..
    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:' .. action ..
    ' xmlns:u="' .. svc .. '">' .. inner .. '</u:' .. action .. '></s:Body></s:Envelope>\r\n'
end

wrk.method = "POST"
wrk.headers["Content-Type"] = 'text/xml; charset="utf-8"'
wrk.headers["SOAPAction"]   = '"' .. svc .. '#' .. act .. '"'
if close then wrk.headers["Connection"] = "close" end
wrk.body = envelope(act, args)

local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

if pairs_proto then
  local base   = tonumber(os.getenv("PAIR_BASE") or "20000")
  local span   = tonumber(os.getenv("PAIR_SPAN") or "1000")
  local client = os.getenv("PAIR_CLIENT") or "127.0.0.1"
  local k = 0
  -- wrk calls request() once on thread 0's state before the run (script_verify_request), and
  -- discards that request: start thread 0 one step early so its first real request is an Add.
  function init(args)
    if tid == 0 then k = -1 end
  end
  local function req(action, inner)
    local h = { ["Host"] = wrk.headers["Host"], ["Content-Type"] = 'text/xml; charset="utf-8"',
                ["SOAPAction"] = '"' .. svc .. '#' .. action .. '"' }
    if close then h["Connection"] = "close" end
    return wrk.format("POST", wrk.path, h, envelope(action, inner))
  end
  function request()
    local port = base + (tid or 0) * span + (math.floor(k / 2) % span)
    local r
    if k % 2 == 0 then
      r = req("AddPortMapping", "<NewRemoteHost></NewRemoteHost><NewExternalPort>" .. port ..
        "</NewExternalPort><NewProtocol>" .. pairs_proto .. "</NewProtocol><NewInternalPort>" .. port ..
        "</NewInternalPort><NewInternalClient>" .. client .. "</NewInternalClient><NewEnabled>1</NewEnabled>" ..
        "<NewPortMappingDescription>gwbench-" .. port .. "</NewPortMappingDescription><NewLeaseDuration>3600</NewLeaseDuration>")
    else
      r = req("DeletePortMapping", "<NewRemoteHost></NewRemoteHost><NewExternalPort>" .. port ..
        "</NewExternalPort><NewProtocol>" .. pairs_proto .. "</NewProtocol>")
    end
    k = k + 1
    return r
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'GWBENCH_JSON {"requests":%d,"secs":%.3f,"rps":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
