import { Controller, Delete, Get, Module, Patch, Post } from '@nestjs/common';
import { auditMutatingRoutes, isAudited } from './audited-routes';

@Controller('things')
class ThingsController {
  @Get()
  list() {
    return [];
  }
  @Post()
  create() {
    return {};
  }
  @Patch(':id')
  change() {
    return {};
  }
}

@Controller('other')
class OtherController {
  @Delete(':id')
  remove() {
    return {};
  }
}

@Module({ controllers: [OtherController] })
class ImportedModule {}

describe('auditMutatingRoutes', () => {
  it('audits every state-changing route of the module tree (dynamic and static imports), and no read', () => {
    auditMutatingRoutes({ module: class Root {}, imports: [ImportedModule], controllers: [ThingsController] });
    const proto = ThingsController.prototype;
    expect(isAudited(ThingsController, proto.create)).toBe(true);
    expect(isAudited(ThingsController, proto.change)).toBe(true);
    expect(isAudited(OtherController, OtherController.prototype.remove)).toBe(true);
    expect(isAudited(ThingsController, proto.list)).toBe(false);
  });
});
