import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { principalOf } from './admin-auth.guard';
import { Principal } from './roles';

/** Injects the authenticated caller into a controller method. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal | undefined =>
  principalOf(ctx.switchToHttp().getRequest<object>()),
);
