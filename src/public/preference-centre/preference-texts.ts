/** Words the preference centre builds into its questions; the pages' prose lives in templates/public. */
export interface PreferenceTexts {
  title: string;
  yes: string;
  no: string;
  channels: Record<'email' | 'sms' | 'mail', string>;
  consentQuestion: Record<'email' | 'sms' | 'mail', string>;
  solar: string;
  lunar: string;
  birthdayQuestion: string;
  solarDate: string;
  lunarMonth: string;
  lunarDay: string;
  lunarLeap: string;
  quietFrom: string;
  quietTo: string;
  nothingChosen: string;
  solarBirthday: (date: string) => string;
  lunarBirthday: (month: number, day: number, leap: boolean) => string;
  problems: {
    notAChoice: string;
    badText: string;
    badNumber: string;
    badDate: string;
    badTime: string;
    bothTimes: string;
    lunarMonthDay: string;
    birthdayDate: string;
  };
}

const CHINESE_MONTHS = ['正', '二', '三', '四', '五', '六', '七', '八', '九', '十', '冬', '腊'];
const CHINESE_DAYS = (day: number): string => {
  const digits = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];
  if (day <= 10) return `初${digits[day]}`;
  if (day < 20) return `十${digits[day - 10]}`;
  if (day === 20) return '二十';
  if (day < 30) return `廿${digits[day - 20]}`;
  return '三十';
};

const EN: PreferenceTexts = {
  title: 'Your preferences',
  yes: 'Yes',
  no: 'No',
  channels: { email: 'E-mail', sms: 'Text message (SMS)', mail: 'Post' },
  consentQuestion: {
    email: 'May we write to you by e-mail?',
    sms: 'May we send you text messages (SMS)?',
    mail: 'May we send you letters and cards by post?',
  },
  solar: 'By the solar (Gregorian) calendar',
  lunar: 'By the Chinese lunar calendar',
  birthdayQuestion: 'When is your birthday?',
  solarDate: 'Date of birth',
  lunarMonth: 'Lunar month',
  lunarDay: 'Lunar day',
  lunarLeap: 'Leap month',
  quietFrom: 'From',
  quietTo: 'Until',
  nothingChosen: 'none',
  solarBirthday: (date) => new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`)),
  lunarBirthday: (month, day, leap) => `day ${day} of the ${leap ? 'leap ' : ''}${ordinal(month)} lunar month`,
  problems: {
    notAChoice: 'is not one of the choices offered',
    badText: 'must be between 1 and 100 characters',
    badNumber: 'must be a number',
    badDate: 'must be a date',
    badTime: 'must be a time such as 21:00',
    bothTimes: 'needs both a start and an end time',
    lunarMonthDay: 'needs both the lunar month and day',
    birthdayDate: 'needs a date between 1900 and today',
  },
};

const ZH: PreferenceTexts = {
  title: '您的偏好设置',
  yes: '是',
  no: '否',
  channels: { email: '电子邮件', sms: '短信', mail: '邮寄信件' },
  consentQuestion: {
    email: '我们可以通过电子邮件联系您吗？',
    sms: '我们可以给您发短信吗？',
    mail: '我们可以给您邮寄信件和贺卡吗？',
  },
  solar: '阳历（公历）',
  lunar: '农历',
  birthdayQuestion: '您的生日是哪一天？',
  solarDate: '出生日期',
  lunarMonth: '农历月份',
  lunarDay: '农历日期',
  lunarLeap: '闰月',
  quietFrom: '从',
  quietTo: '到',
  nothingChosen: '无',
  solarBirthday: (date) => {
    const [y, m, d] = date.split('-').map(Number);
    return `${y}年${m}月${d}日（阳历）`;
  },
  lunarBirthday: (month, day, leap) => `农历${leap ? '闰' : ''}${CHINESE_MONTHS[month - 1]}月${CHINESE_DAYS(day)}`,
  problems: {
    notAChoice: '不是可选的选项',
    badText: '长度须为 1 到 100 个字符',
    badNumber: '必须是数字',
    badDate: '必须是日期',
    badTime: '必须是时间，例如 21:00',
    bothTimes: '需要填写开始和结束时间',
    lunarMonthDay: '需要填写农历月份和日期',
    birthdayDate: '需要 1900 年至今天之间的日期',
  },
};

export function preferenceTexts(locale: string): PreferenceTexts {
  return locale.toLowerCase().startsWith('zh') ? ZH : EN;
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
