import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { ROLES, Role } from '../api-key.entity';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'newsletter team' })
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;

  @ApiPropertyOptional({
    type: [String],
    description: 'Limit the key to these campaigns (viewer and marketer keys only); leave out for a key that reads every campaign',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: 'campaignIds must list at least one campaign (leave it out for a key that reads every campaign)' })
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true, message: 'campaignIds must hold campaign ids (UUIDs)' })
  campaignIds?: string[];
}
