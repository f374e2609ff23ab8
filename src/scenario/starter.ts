/** The commented starter scenario `natsim init` writes (it validates and every check passes). */

/** YAML text of the starter scenario. */
export const STARTER_SCENARIO = `# A natsim scenario: a network of routers and hosts, and checks of what works across it.
# Validate it:   npx natsim validate my-scenario.yaml   (add --strict to fail on warnings)
# Play it:       npx natsim run my-scenario.yaml
# Narrate it:    npx natsim explain my-scenario.yaml --check "alice and carol punch a hole"
# Every key:     npx natsim schema   (JSON Schema, for editors)   Presets: npx natsim presets
name: My first scenario
description: >
  Alice is behind a home router that speaks UPnP, Bob behind an office router with a symmetric
  NAT, Dave behind a cafe router without UPnP, Carol directly on the Internet. A pair of
  reflectors (STUN-like) lets hosts learn their public addresses.

# Routers: each has a WAN address on its parent network (the Internet unless "parent:" names
# another router) and a LAN prefix. nat: a preset (natsim presets) or a mapping of RFC 4787
# behaviours, e.g. { preset: symmetric, filtering: address-dependent }.
routers:
  home:
    wan: 203.0.113.10            # documentation addresses (RFC 5737) stand in for public ones
    lan: 192.168.1.0/24          # the router itself takes the first address, 192.168.1.1
    nat: port-restricted-cone
    services: { upnp: true }     # control points on the LAN may map ports (natsim serve serves it)
  office:
    wan: 203.0.113.20
    lan: 10.0.0.0/24
    nat: symmetric
    # Static port forwards, as on a router's web page:
    forwards:
      - { protocol: tcp, external: 8080, internal: 10.0.0.5, internalPort: 80, description: "web server, office" }
  cafe: { wan: 203.0.113.30, lan: 192.168.7.0/24, nat: port-restricted-cone }

# Hosts: on a router's LAN ("router:"), or on the Internet (no router: a public address).
hosts:
  alice: { router: home, address: 192.168.1.10 }
  bob: { router: office, address: 10.0.0.5 }
  carol: { address: 198.51.100.20 }
  dave: { router: cafe, address: 192.168.7.23 }

# Servers the probes use: reflectors answer "where do you see me from?" (two for classify).
servers:
  stun-1: { address: 198.51.100.3, role: reflector }
  stun-2: { address: 198.51.100.4, role: reflector }

# Checks: from one host to another, a feature (a probe, or an app's feature when the host has
# "app:"), and what you expect: works, fails or relayed. natsim run exits 0 only if all hold.
checks:
  - name: alice and carol punch a hole
    from: alice
    to: carol
    feature: hole-punch
    expect: works
  - name: alice and bob punch a hole
    description: symmetric NAT on bob's side, but alice's UPnP mapping opens hers
    from: alice
    to: bob
    feature: hole-punch
    expect: works
  - name: dave and bob punch a hole
    description: port-restricted cone against symmetric without UPnP, the classic pair that cannot
    from: dave
    to: bob
    feature: hole-punch
    expect: fails
  - name: carol connects to alice through a UPnP mapping
    from: carol
    to: alice
    feature: upnp-map-connect
    expect: works
  - name: what kind of NAT is bob behind
    from: bob
    to: stun-1
    feature: classify
    expect: works
    classification: { mapping: address-and-port-dependent, filtering: address-and-port-dependent }
`;
