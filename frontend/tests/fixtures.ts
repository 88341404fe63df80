import { type Design, normalize } from "../src/model";

/** The two-VLAN routed design of DESIGN.md, as the API returns it. */
export function twoVlans(): Design {
  return normalize({
    apiVersion: "mvlab/v1",
    kind: "Design",
    name: "two-vlans-routed",
    hosts: {
      host1: { nics: ["enp0s8"], shim: { network: "mac10", ip: "172.16.10.250" } },
      host2: { nics: ["enp0s8"] },
      host3: {
        nics: ["enp0s8"],
        forwarding: true,
        addresses: { "enp0s8.100": "172.16.10.1/24", "enp0s8.200": "172.16.20.1/24" },
      },
    },
    segments: { lan: { ports: ["host1.enp0s8", "host2.enp0s8", "host3.enp0s8"], vlans: [100, 200] } },
    networks: {
      mac10: { parent: "enp0s8.100", mode: "bridge", subnet: "172.16.10.0/24", gateway: "172.16.10.1" },
      mac20: { parent: "enp0s8.200", mode: "bridge", subnet: "172.16.20.0/24", gateway: "172.16.20.1" },
    },
    containers: {
      d1: { host: "host1", networks: { mac10: { ip: "172.16.10.10" } } },
      d2: { host: "host1", networks: { mac20: { ip: "172.16.20.10" } } },
      d3: { host: "host2", networks: { mac10: {} } },
      d4: { host: "host2", networks: { mac20: { ip: "172.16.20.11" } } },
    },
    layout: { "containers.d1": { x: 10, y: 20 }, "nics.host1.enp0s8": { x: 1, y: 2 } },
  });
}
