import { HttpStatus } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SignedTokens, TokenClaims, TokenPurpose } from '../common/signed-tokens';
import { PublicPageError } from './public-page.error';

/** The contact a public link may show or change, as the link's pages need it. */
export interface LinkedContact {
  id: string;
  locale: string | null;
  formOfAddress: string | null;
  birthday: string | null;
  lunarBirthdayMonth: number | null;
  lunarBirthdayDay: number | null;
  lunarBirthdayLeap: boolean;
}

/**
 * The claims of a public link, or the plain error page: 410 for an expired link (the person did
 * nothing wrong), 403 for anything else. Nothing about why beyond that is shown.
 */
export function verifyLink(tokens: SignedTokens, token: string, purpose: TokenPurpose, locale: string | null = null): TokenClaims {
  const check = tokens.verify(token, purpose);
  if (!check.ok) throw new PublicPageError(check.reason === 'expired' ? HttpStatus.GONE : HttpStatus.FORBIDDEN, locale);
  if (!UUID.test(check.claims.contactId)) throw new PublicPageError(HttpStatus.FORBIDDEN, locale);
  return check.claims;
}

/**
 * The live contact a verified link names, locked for the caller's transaction when `forUpdate`.
 * A contact deleted or erased since the link was sent is gone (410), never shown.
 */
export async function loadLinkedContact(db: EntityManager, contactId: string, forUpdate = false): Promise<LinkedContact> {
  const rows: Array<{
    id: string; locale: string | null; form_of_address: string | null; birthday: string | null;
    lunar_birthday_month: number | null; lunar_birthday_day: number | null; lunar_birthday_leap: boolean;
  }> = await db.query(
    `SELECT id, locale, form_of_address, to_char(birthday, 'YYYY-MM-DD') AS birthday, lunar_birthday_month, lunar_birthday_day, lunar_birthday_leap
       FROM contacts WHERE id = $1 AND deleted_at IS NULL AND erased_at IS NULL${forUpdate ? ' FOR UPDATE' : ''}`,
    [contactId],
  );
  const row = rows[0];
  if (!row) throw new PublicPageError(HttpStatus.GONE);
  return {
    id: row.id,
    locale: row.locale,
    formOfAddress: row.form_of_address,
    birthday: row.birthday,
    lunarBirthdayMonth: row.lunar_birthday_month,
    lunarBirthdayDay: row.lunar_birthday_day,
    lunarBirthdayLeap: row.lunar_birthday_leap,
  };
}

/** The same ids as the link: a verified token's contact id is still checked to be a UUID before any query. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
