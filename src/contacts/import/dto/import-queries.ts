import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IMPORT_FORMATS, ImportFormat } from '../import-job.entity';

export class ImportUploadQuery {
  @ApiPropertyOptional({ enum: IMPORT_FORMATS, description: 'Needed only when Content-Type does not say (e.g. application/octet-stream)' })
  @IsOptional() @IsIn(IMPORT_FORMATS)
  format?: ImportFormat;
}

export class ImportErrorsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  limit = 100;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional() @IsString() @MaxLength(200)
  cursor?: string;
}
