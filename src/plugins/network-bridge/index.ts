export { BridgeDriver, chainNames, type BridgeDriverOptions } from './bridge-driver.js';
export { firewallRules, jumpRules, type ChainNames } from './firewall-rules.js';
export { HostPortReserver } from './port-reserver.js';
export { EmbeddedDnsServer } from './dns-server.js';
