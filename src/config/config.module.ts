import { Global, Module } from '@nestjs/common';
import { AppConfig, loadConfig } from './app-config';
import { SignedTokens } from '../common/signed-tokens';
import { SecretKey, resolveSecretKey } from './secret-key';

@Global()
@Module({
  providers: [
    { provide: AppConfig, useFactory: () => loadConfig() },
    { provide: SecretKey, inject: [AppConfig], useFactory: (config: AppConfig) => resolveSecretKey(config) },
    SignedTokens,
  ],
  exports: [AppConfig, SecretKey, SignedTokens],
})
export class ConfigModule {}
