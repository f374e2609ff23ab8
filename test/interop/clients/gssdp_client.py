"""Browses with the real GSSDP library (python3-gi + gir1.2-gssdp-1.6) and prints one JSON object a
line: {"event": "ready"|"available"|"unavailable"|"done", ...}.

usage: gssdp_client.py IFACE SECONDS TARGET...   (one GSSDP.ResourceBrowser per target)
Exits after SECONDS, or as soon as a resource that was reported available becomes unavailable.
"""
import json
import sys

try:
    import gi
    gi.require_version("GSSDP", "1.6")
    from gi.repository import GLib, GSSDP
except (ImportError, ValueError) as e:
    print(json.dumps({"event": "error", "error": f"GSSDP introspection missing (Debian packages python3-gi gir1.2-gssdp-1.6): {e}"}), flush=True)
    sys.exit(3)


def emit(**obj):
    print(json.dumps(obj), flush=True)


def main():
    iface, seconds, targets = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    client = GSSDP.Client.new_full(iface, None, 0, GSSDP.UDAVersion.VERSION_1_0)
    loop = GLib.MainLoop()
    seen = set()
    browsers = []
    closing = []  # set once the loop ends: deactivating a browser flushes its cache as "unavailable"

    def available(browser, usn, locations):
        if closing:
            return
        seen.add(usn)
        emit(event="available", target=browser.get_target(), usn=usn, locations=list(locations))

    def unavailable(browser, usn):
        if closing:
            return
        emit(event="unavailable", target=browser.get_target(), usn=usn)
        if usn in seen:
            loop.quit()

    for target in targets:
        browser = GSSDP.ResourceBrowser.new(client, target)
        browser.set_mx(1)
        browser.connect("resource-available", available)
        browser.connect("resource-unavailable", unavailable)
        browser.set_active(True)
        browsers.append(browser)
    emit(event="ready", interface=client.get_interface(), host_ip=client.get_host_ip(), targets=targets)
    GLib.timeout_add(int(seconds * 1000), loop.quit)
    loop.run()
    closing.append(True)
    emit(event="done")
    for browser in browsers:
        browser.set_active(False)


main()
