import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';

/** Documents a `{ items, total, limit, offset }` page of `item` as the 200 answer. */
export function ApiPageResponse(item: Type<unknown>, description: string, options: { paging?: boolean } = {}) {
  const paging = options.paging ?? true;
  return applyDecorators(
    ApiExtraModels(item),
    ApiOkResponse({
      description,
      schema: {
        type: 'object',
        required: ['items', 'total', ...(paging ? ['limit', 'offset'] : [])],
        properties: {
          items: { type: 'array', items: { $ref: getSchemaPath(item) } },
          total: { type: 'integer', minimum: 0 },
          ...(paging
            ? { limit: { type: 'integer', minimum: 1, maximum: 100 }, offset: { type: 'integer', minimum: 0 } }
            : {}),
        },
      },
    }),
  );
}
