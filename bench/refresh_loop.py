"""Refreshes one session in a loop against a running linli, and reports the statuses and the
slowest answer: run it beside `linli-bench --scenarios rush` to see whether other writes
get their turn during the rush (see README "Performance").

    python3 bench/refresh_loop.py http://127.0.0.1:18090 +8613700019999 200
"""
import json, sys, time, urllib.request, urllib.error
base = sys.argv[1]; phone = sys.argv[2]; seconds = float(sys.argv[3])
def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    t0 = time.time()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.load(r), time.time() - t0
    except urllib.error.HTTPError as e:
        return e.code, json.load(e), time.time() - t0
s, body, _ = post("/api/v1/auth/login", {"phone": phone, "password": "linli-bench-2026"})
assert s == 200, (s, body)
tok = body["refresh_token"]
end = time.time() + seconds
stats = {}; worst = 0; n = 0
while time.time() < end:
    try:
        s, body, dt = post("/api/v1/auth/refresh", {"refresh_token": tok})
    except urllib.error.URLError:
        break
    n += 1; stats[s] = stats.get(s, 0) + 1; worst = max(worst, dt)
    if s == 200: tok = body["refresh_token"]
    elif s != 503: print("unexpected", s, body); break
print(f"refreshes {n}: {stats}, slowest {worst*1000:.0f} ms")
