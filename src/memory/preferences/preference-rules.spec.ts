import { keyDefinitionProblems, KeyDefinition, labelFor, SOURCE_AUTHORITY, valueProblem } from './preference-rules';

const choice: KeyDefinition = { valueType: 'choice', allowedValues: ['tea', 'coffee'], valueLabels: { 'zh-CN': { tea: '茶' }, en: { tea: 'Tea', coffee: 'Coffee' } } };
const list: KeyDefinition = { valueType: 'list', allowedValues: ['care', 'news'], valueLabels: {} };
const of = (valueType: KeyDefinition['valueType']): KeyDefinition => ({ valueType, allowedValues: null, valueLabels: {} });

describe('preference rules', () => {
  it('ranks the customer\'s own word highest and inference lowest', () => {
    expect(SOURCE_AUTHORITY.web_form).toBe(SOURCE_AUTHORITY.sms_reply);
    expect(SOURCE_AUTHORITY.email_reply).toBeGreaterThan(SOURCE_AUTHORITY.staff);
    expect(SOURCE_AUTHORITY.staff).toBeGreaterThan(SOURCE_AUTHORITY.import);
    expect(SOURCE_AUTHORITY.import).toBeGreaterThan(SOURCE_AUTHORITY.inferred);
  });

  it.each([
    [of('text'), 'mornings please', true],
    [of('text'), '   ', false],
    [of('number'), 3.5, true],
    [of('number'), '3', false],
    [of('boolean'), false, true],
    [of('boolean'), 'yes', false],
    [of('date'), '2025-02-28', true],
    [of('date'), '2025-02-30', false],
    [choice, 'tea', true],
    [choice, 'beer', false],
    [list, ['care', 'news'], true],
    [list, ['care', 'care'], false],
    [list, ['gossip'], false],
    [list, 'care', false],
    [of('list'), ['anything goes'], true],
  ])('checks %j against %j (ok: %s)', (key, value, ok) => {
    expect(valueProblem(key, value, 'preferences[0].value') === null).toBe(ok);
  });

  it('names the field and the allowed values in the problem', () => {
    expect(valueProblem(choice, 'beer', 'preferences[2].value')).toBe('preferences[2].value must be one of: tea, coffee');
  });

  it('keeps allowed values and labels consistent with the type', () => {
    expect(keyDefinitionProblems(choice)).toEqual([]);
    expect(keyDefinitionProblems({ ...choice, allowedValues: null, valueLabels: {} })).toEqual([{ field: 'allowedValues', problem: expect.any(String) }]);
    expect(keyDefinitionProblems({ ...of('text'), allowedValues: ['a'] })).toEqual([{ field: 'allowedValues', problem: expect.any(String) }]);
    expect(keyDefinitionProblems({ ...of('boolean'), valueLabels: { en: { true: 'Yes', maybe: 'Perhaps' } } })).toEqual([
      { field: 'valueLabels.en.maybe', problem: expect.any(String) },
    ]);
  });

  it('labels in the locale, then the same language, then English, then the raw value', () => {
    expect(labelFor(choice, 'tea', 'zh-CN')).toBe('茶');
    expect(labelFor(choice, 'tea', 'zh-TW')).toBe('茶');
    expect(labelFor(choice, 'coffee', 'zh-CN')).toBe('Coffee');
    expect(labelFor(choice, 'tea', 'de')).toBe('Tea');
    expect(labelFor(of('number'), 3, 'en')).toBe('3');
    expect(labelFor(list, ['care', 'news'], 'en')).toBe('care and news');
  });
});
