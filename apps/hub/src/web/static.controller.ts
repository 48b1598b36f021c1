import { readFileSync, readdirSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { Controller, Get, Param, Res } from '@nestjs/common';
import { HubError } from '../http/hub-error';

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/** The pages' CSS and scripts: a fixed set of files read once, so no path from a URL reaches the disk. */
@Controller('hub/static')
export class StaticController {
  private readonly files = new Map<string, { body: Buffer; type: string }>();

  constructor() {
    const dir = path.join(__dirname, 'static');
    for (const name of readdirSync(dir)) {
      const type = TYPES[path.extname(name)];
      if (type) this.files.set(name, { body: readFileSync(path.join(dir, name)), type });
    }
  }

  @Get(':file')
  file(@Param('file') file: string, @Res() res: ServerResponse) {
    const f = this.files.get(file);
    if (!f) throw new HubError(404, `No such file: ${file}`);
    res.statusCode = 200;
    res.setHeader('Content-Type', f.type);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Length', f.body.length);
    res.end(f.body);
  }
}
