import type { ReadTx } from '../../core/metadata.js';
import type { EndpointRecord, NetworkRecord } from '../../core/networks.js';
import { parseCidr } from '../../pkg/ipv4.js';

/** Docker's NetworkResource (`network inspect`, and the rows of `network ls` with no Containers). */
export function networkResource(net: NetworkRecord, endpoints: EndpointRecord[], tx: ReadTx): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  const prefix = net.subnet ? parseCidr(net.subnet)!.prefix : 0;
  for (const e of endpoints) {
    const c = tx.getContainer(e.containerId);
    if (!c || e.ip === null) continue;
    containers[e.containerId] = { Name: c.name, EndpointID: e.endpointId, MacAddress: e.mac, IPv4Address: `${e.ip}/${prefix}`, IPv6Address: '' };
  }
  const config: Record<string, string>[] = [];
  if (net.subnet) {
    const entry: Record<string, string> = { Subnet: net.subnet, Gateway: net.gateway };
    if (net.ipRange) entry['IPRange'] = net.ipRange;
    config.push(entry);
  }
  return {
    Name: net.name,
    Id: net.id,
    Created: net.created,
    Scope: 'local',
    Driver: net.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: net.predefined ? null : {}, Config: config },
    Internal: net.internal,
    Attachable: net.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: net.options,
    Labels: net.labels,
  };
}
