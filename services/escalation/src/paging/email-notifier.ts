import nodemailer, { type Transporter } from 'nodemailer';
import { NotifierError, type Notifier } from './notifier.ts';
import { emailText, subjectOf } from './page-messages.ts';

/** SMTP through nodemailer (`SMTP_URL`, e.g. smtp://127.0.0.1:2525). A 5xx from the server is final; anything else may pass. */
export function emailNotifier(smtpUrl: string, from: string): Notifier & { close(): void } {
  const transport: Transporter = nodemailer.createTransport(smtpUrl);
  return {
    channel: 'email',
    async send(page) {
      if (!page.contact.email) throw new NotifierError(`${page.contactName} has no email address`, false);
      try {
        const info = await transport.sendMail({ from, to: page.contact.email, subject: subjectOf(page), text: emailText(page) });
        return { providerId: info.messageId };
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        throw new NotifierError(`SMTP${code ? ` ${code}` : ''}: ${(error as Error).message}`, code === undefined || code < 500);
      }
    },
    close: () => transport.close(),
  };
}
