import nodemailer, { type Transporter } from 'nodemailer';
import { NotifierError, type Notifier } from './notifier.ts';
import { bundleEmail, emailText, subjectOf } from './page-messages.ts';

/** SMTP through nodemailer (`SMTP_URL`, e.g. smtp://127.0.0.1:2525). A 5xx from the server is final; anything else may pass. */
export function emailNotifier(smtpUrl: string, from: string): Notifier & { close(): void } {
  const transport: Transporter = nodemailer.createTransport(smtpUrl);
  const deliver = async (to: string | undefined, who: string, subject: string, text: string) => {
    if (!to) throw new NotifierError(`${who} has no email address`, false);
    try {
      const info = await transport.sendMail({ from, to, subject, text });
      return { providerId: info.messageId };
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      throw new NotifierError(
        `SMTP${code ? ` ${code}` : ''}: ${(error as Error).message}`,
        code === undefined || code < 500,
      );
    }
  };
  return {
    channel: 'email',
    send: (page) => deliver(page.contact.email, page.contactName, subjectOf(page), emailText(page)),
    sendBundle(bundle) {
      const { subject, text } = bundleEmail(bundle);
      return deliver(bundle.contact.email, bundle.contactName, subject, text);
    },
    sendNotice: (notice) => deliver(notice.contact.email, notice.contactName, notice.subject, notice.text),
    close: () => transport.close(),
  };
}
