import 'reflect-metadata';
export * from './service-names';
export * from './event-definition';
export * from './envelope/event-envelope';
export * from './validate-event';
export * from './event-catalog';
export * from './events/backbone-ping.event';
