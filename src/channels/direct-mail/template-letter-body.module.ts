import { Global, Module } from '@nestjs/common';
import { RenderContextModule } from '../../memory/render-context/render-context.module';
import { RenderContextService } from '../../memory/render-context/render-context.service';
import { TemplatesModule } from '../../templates/templates.module';
import { TemplatesService } from '../../templates/templates.service';
import { defaultLetterBody } from './default-letter-body';
import { LETTER_BODY_RENDERER, LetterBodyRenderer } from './direct-mail.types';

/**
 * Words a batch's letters from the batch's template (`templateKey`, channel mail) and what the
 * memory layer knows about each recipient; a batch without a template keeps the built-in greeting.
 * Global because the direct-mail module must not depend on templates to be usable without them.
 */
@Global()
@Module({
  imports: [TemplatesModule, RenderContextModule],
  providers: [
    {
      provide: LETTER_BODY_RENDERER,
      inject: [TemplatesService, RenderContextService],
      useFactory: (templates: TemplatesService, contexts: RenderContextService): LetterBodyRenderer =>
        async (recipient) => {
          if (!recipient.templateKey) return defaultLetterBody(recipient);
          const context = await contexts.build(recipient.contactId, recipient.locale);
          if (!context) throw new Error('the contact is no longer on file');
          const rendered = await templates.render({
            key: recipient.templateKey,
            channel: 'mail',
            locale: recipient.locale,
            context,
            extra: { now: new Date(), ...(recipient.newAge !== null ? { age: recipient.newAge } : {}) },
          });
          return rendered.text ?? '';
        },
    },
  ],
  exports: [LETTER_BODY_RENDERER],
})
export class TemplateLetterBodyModule {}
