// Diagnostics, opt-in (BACKBONE_PING): not part of the production wiring in @tpo/service-kit.
export * from './backbone-ping/backbone-ping.module';
