import { CreateFoundation1764547200000 } from './1764547200000-CreateFoundation';
import { CreateMemory1764720000000 } from './1764720000000-CreateMemory';
import { ImportJobLeases1764806400000 } from './1764806400000-ImportJobLeases';
import { CreateProductConsumptionDefaults1764892800000 } from './1764892800000-CreateProductConsumptionDefaults';
import { CreateMessages1764979200000 } from './1764979200000-CreateMessages';
import { CreateTemplates1765065600000 } from './1765065600000-CreateTemplates';
import { CreateDirectMailBatches1765152000000 } from './1765152000000-CreateDirectMailBatches';
import { CreateSegments1765238400000 } from './1765238400000-CreateSegments';
import { CreateCampaigns1765324800000 } from './1765324800000-CreateCampaigns';
import { CreateSignups1765670400000 } from './1765670400000-CreateSignups';
import { CreateTrackedLinks1765756800000 } from './1765756800000-CreateTrackedLinks';
import { ImportJobContacts1765843200000 } from './1765843200000-ImportJobContacts';
import { CampaignScopedApiKeys1765846800000 } from './1765846800000-CampaignScopedApiKeys';
import { ReportIndexes1765850400000 } from './1765850400000-ReportIndexes';
import { DerivedMemoryCoveringIndexes1765854000000 } from './1765854000000-DerivedMemoryCoveringIndexes';

/** Every migration, oldest first. Listed explicitly so ts-jest and the compiled build load the same set. */
export const migrations = [
  CreateFoundation1764547200000,
  CreateMemory1764720000000,
  ImportJobLeases1764806400000,
  CreateProductConsumptionDefaults1764892800000,
  CreateMessages1764979200000,
  CreateTemplates1765065600000,
  CreateDirectMailBatches1765152000000,
  CreateSegments1765238400000,
  CreateCampaigns1765324800000,
  CreateSignups1765670400000,
  CreateTrackedLinks1765756800000,
  ImportJobContacts1765843200000,
  CampaignScopedApiKeys1765846800000,
  ReportIndexes1765850400000,
  DerivedMemoryCoveringIndexes1765854000000,
];
