import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { EmbeddedPostgres } from './embedded/embedded-postgres';

/** Where the database is: a PostgreSQL URL, or the embedded instance this process started. */
export class DatabaseLocation {
  constructor(
    readonly url: string,
    readonly embedded: EmbeddedPostgres | null,
  ) {}

  get kind(): 'postgres' | 'embedded' {
    return this.embedded ? 'embedded' : 'postgres';
  }
}

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig, DatabaseLocation],
      useFactory: (config: AppConfig, location: DatabaseLocation) => ({
        ...dataSourceOptions(location.url, config.DB_POOL_SIZE),
        // Modules register their own entities with TypeOrmModule.forFeature.
        autoLoadEntities: true,
        migrationsRun: true,
      }),
      extraProviders: [],
    }),
  ],
  providers: [],
  exports: [],
})
export class DatabaseModule implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');

  constructor(@Inject(DatabaseLocation) private readonly location: DatabaseLocation) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.location.embedded) {
      await this.location.embedded.stop();
      this.logger.log('embedded database closed');
    }
  }
}

/** A global module that resolves the location once, before TypeORM connects. */
@Global()
@Module({
  providers: [
    {
      provide: DatabaseLocation,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        if (config.DATABASE_URL) return new DatabaseLocation(config.DATABASE_URL, null);
        const embedded = await EmbeddedPostgres.start(config.EMBEDDED_DB_DIR);
        return new DatabaseLocation(embedded.url, embedded);
      },
    },
  ],
  exports: [DatabaseLocation],
})
export class DatabaseLocationModule {}
