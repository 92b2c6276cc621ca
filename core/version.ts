// The versions a host publishes: the app's own and the link protocol's (in /.well-known/tandem and the handshake).
export const TANDEM_VERSION = '0.1.0';
export const PROTOCOL_VERSION = 1;
