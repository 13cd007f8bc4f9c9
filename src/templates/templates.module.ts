import { Module } from '@nestjs/common';
import { RenderContextModule } from '../memory/render-context/render-context.module';
import { MessageRenderer } from './engine/message-renderer';
import { TemplateEngine } from './engine/template-engine';
import { TemplateValidator } from './engine/template-validator';
import { defaultTemplatesDir, FileTemplateCatalogue, TEMPLATES_DIR } from './files/file-template-catalogue';
import { TemplateEditorService } from './template-editor.service';
import { TemplatePreviewService } from './template-preview.service';
import { TemplatesController } from './templates.controller';
import { TemplatesRepository } from './templates.repository';
import { TemplatesService } from './templates.service';

/** Message templates: files under templates/ and versioned database templates; TemplatesService renders both. */
@Module({
  imports: [RenderContextModule],
  controllers: [TemplatesController],
  providers: [
    { provide: TEMPLATES_DIR, useFactory: defaultTemplatesDir },
    TemplateEngine,
    TemplateValidator,
    MessageRenderer,
    FileTemplateCatalogue,
    TemplatesRepository,
    TemplatesService,
    TemplateEditorService,
    TemplatePreviewService,
  ],
  exports: [TemplatesService, TemplatePreviewService],
})
export class TemplatesModule {}
