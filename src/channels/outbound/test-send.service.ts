import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { DataSource } from 'typeorm';
import { Actor } from '../../auth/actor';
import { ApiError } from '../../common/errors/api-error';
import { TemplatePreviewService } from '../../templates/template-preview.service';
import { DirectMailService } from '../direct-mail/direct-mail.service';
import { OutboundResult, OutboundSender } from './outbound-sender';
import { TestSendDto } from './test-send.dto';

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

export type TestSendResult =
  | (OutboundResult & { channel: 'email' | 'sms'; to: string })
  | { channel: 'mail'; batchId: string; letters: number; skipped: Array<{ reason: string }> };

/**
 * One message from a template to one address, outside any campaign: rendered exactly as preview
 * renders it, sent through the configured channel, recorded as a test message. The goldfish guard
 * is not asked: a marketer checking a template is not a customer being contacted.
 */
@Injectable()
export class TestSendService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly previews: TemplatePreviewService,
    private readonly sender: OutboundSender,
    private readonly directMail: DirectMailService,
  ) {}

  async send(templateId: string, dto: TestSendDto, actor: Actor): Promise<TestSendResult> {
    const contact = dto.contactId ? await this.contact(dto.contactId) : null;
    const unsubscribeUrl = contact ? this.sender.unsubscribeUrl(contact.id, 'email') : null;
    const rendered = await this.previews.preview(templateId, {
      contactId: dto.contactId,
      sample: dto.sample,
      locale: dto.locale,
      version: dto.version,
      extra: { ...(unsubscribeUrl ? { unsubscribeUrl } : {}), ...dto.extra },
    });
    const base = { contactId: contact?.id ?? null, purpose: 'test' as const, rendered, unsubscribeUrl, headers: { 'X-Tidings-Test': 'true' } };
    switch (rendered.channel) {
      case 'email': {
        const to = dto.to ?? contact?.email;
        if (!to || !EMAIL.test(to)) throw ApiError.validation([{ field: 'to', problem: dto.to ? 'must be an e-mail address' : 'is required (the contact has no e-mail address)' }]);
        const toName = contact ? [contact.given_name, contact.family_name].filter(Boolean).join(' ') || null : null;
        return { channel: 'email', to, ...(await this.sender.sendEmail({ ...base, to, toName })) };
      }
      case 'sms': {
        const given = dto.to ?? contact?.phone;
        const phone = given ? parsePhoneNumberFromString(given) : undefined;
        if (!phone?.isValid()) throw ApiError.validation([{ field: 'to', problem: dto.to ? 'must be a phone number in E.164 form, e.g. +8613800138000' : 'is required (the contact has no phone number)' }]);
        return { channel: 'sms', to: phone.number, ...(await this.sender.sendSms({ ...base, to: phone.number })) };
      }
      case 'mail': {
        if (!contact) throw ApiError.validation([{ field: 'contactId', problem: 'a printed test letter needs a contact with a postal address' }]);
        if (dto.to) throw ApiError.validation([{ field: 'to', problem: 'a printed letter goes to the contact’s postal address; leave to out' }]);
        const batch = await this.directMail.createBatch(
          { contactIds: [contact.id], format: 'a4', kind: 'letter', templateKey: rendered.templateKey, ...(dto.locale ? { locale: dto.locale } : {}) },
          async () => rendered.text ?? '',
          actor,
        );
        return { channel: 'mail', batchId: batch.id, letters: batch.letterCount, skipped: batch.skipped.map((s) => ({ reason: s.reason })) };
      }
    }
  }

  private async contact(id: string) {
    const rows: Array<{ id: string; email: string | null; phone: string | null; given_name: string | null; family_name: string | null }> = await this.db.query(
      `SELECT id, email, phone, given_name, family_name FROM contacts WHERE id = $1 AND deleted_at IS NULL AND erased_at IS NULL`,
      [id],
    );
    if (!rows[0]) throw new ApiError(HttpStatus.NOT_FOUND, 'NOT_FOUND', `Contact ${id} does not exist.`, [{ field: 'contactId', problem: 'no such live contact' }]);
    return rows[0];
  }
}
