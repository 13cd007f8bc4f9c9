import { constraintField } from './api-exception.filter';

describe('constraintField', () => {
  it.each([
    ['contacts_email_key', 'email'],
    ['contacts_external_id_key', 'externalId'],
    ['api_keys_key_hash_key', 'keyHash'],
    ['contacts_lunar_birthday_month_check', 'lunarBirthdayMonth'],
  ])('names the API field behind %s: %s', (constraint, field) => {
    expect(constraintField(constraint)).toBe(field);
  });

  it('keeps a name it cannot read', () => {
    expect(constraintField('some_other_constraint')).toBe('some_other_constraint');
  });
});
