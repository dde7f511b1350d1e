// The bot `mitra bench --telegram --telegram-bot` compares Mitra with: a
// small shop's assistant written the usual way with Telegraf 4, polling,
// with its sessions in Redis. It answers the benchmark's conversation
// ("halo", "2", "menu", "bantuan") with as many messages, of the same
// shape, as Mitra's shipped flows do: a greeting, then the menu (six
// inline buttons, one a row) after every answer.
//
// Environment: BOT_TOKEN, API_ROOT (the Bot API server's base URL),
// REDIS_URL, and REDIS_PREFIX (the sessions' key prefix, "telegraf" when
// unset).
import { Markup, Telegraf, session } from 'telegraf';
import { createClient } from 'redis';

const { BOT_TOKEN, API_ROOT, REDIS_URL } = process.env;
const prefix = process.env.REDIS_PREFIX || 'telegraf';
if (!BOT_TOKEN || !API_ROOT || !REDIS_URL) {
  console.error('bot.mjs needs BOT_TOKEN, API_ROOT and REDIS_URL');
  process.exit(2);
}

// Sessions live as long as Mitra's (MITRA_SESSION_TTL's default).
const sessionTTL = 30 * 24 * 3600;

const redis = createClient({ url: REDIS_URL });
redis.on('error', (err) => console.error('redis:', err.message));
await redis.connect();

// store is Telegraf's session store on Redis: one JSON string a chat.
const store = {
  async get(key) {
    const raw = await redis.get(`${prefix}:session:${key}`);
    return raw == null ? undefined : JSON.parse(raw);
  },
  async set(key, value) {
    await redis.set(`${prefix}:session:${key}`, JSON.stringify(value), { EX: sessionTTL });
  },
  async delete(key) {
    await redis.del(`${prefix}:session:${key}`);
  },
};

const shop = {
  name: 'Warung Bu Sari',
  hours: 'setiap hari pukul 07.00–21.00 WIB',
  address: 'Jl. Kenanga No. 12, Sleman, Yogyakarta',
  catalogue: 'Beras 5 kg Rp 68.000\nMinyak goreng 2 L Rp 36.000\nTelur 1 kg Rp 29.000\nGula 1 kg Rp 17.500',
};

// choices are the menu's, in order: a customer picks one by its button,
// its number or one of its words.
const choices = [
  { id: 'catalogue', label: 'Produk & harga', words: ['produk', 'harga', 'katalog'], answer: () => shop.catalogue },
  { id: 'hours', label: 'Jam buka', words: ['jam', 'buka', 'alamat', 'lokasi'], answer: () => `Kami buka ${shop.hours}.\nAlamat: ${shop.address}.` },
  { id: 'order', label: 'Cara pesan', words: ['pesan', 'order', 'beli'], answer: () => 'Untuk memesan, tulis saja di sini apa yang Anda mau dan jumlahnya, dan alamat kalau minta diantar. Staf toko akan membalas untuk memastikan pesanan dan totalnya.' },
  { id: 'person', label: 'Bicara dengan staf', words: ['staf', 'admin', 'orang'], answer: () => 'Baik, pesan Anda kami teruskan ke staf toko. Mereka akan membalas di sini secepatnya. Ketik MENU kapan saja untuk kembali ke menu.' },
  { id: 'language', label: 'Ganti bahasa (language)', words: ['bahasa', 'language'], answer: () => 'Bahasa Indonesia atau English? Ketik ENGLISH untuk berganti.' },
  { id: 'promo', label: 'Info promo', words: ['promo', 'diskon'], answer: () => 'Mau menerima info promo dari kami? Ketik YA untuk setuju.' },
];

const greetings = ['halo', 'hai', 'hi', 'hello', 'pagi', 'siang', 'sore', 'malam', '/start'];
const menuWords = ['menu', '/menu'];
const helpWords = ['bantuan', 'help', 'tolong', '/help'];

const menuText = 'Ada yang bisa saya bantu? Pilih salah satu, atau ketik nomornya:';
const menuKeyboard = Markup.inlineKeyboard(choices.map((c) => [Markup.button.callback(c.label, c.id)]));
const helpText = `Saya asisten otomatis ${shop.name}. Cara memakai saya:\n• Jawab pertanyaan dengan menekan pilihan, mengetik nomornya (misalnya 2) atau katanya (misalnya "jam buka").\n• Ketik MENU kapan saja untuk kembali ke menu.\n• Ketik BANTUAN untuk membaca pesan ini lagi.\n• Ingin bicara dengan orang? Pilih "Bicara dengan staf" di menu.\n• Ketik STOP untuk berhenti menerima promo.`;

// answer sends text, then the menu, one after the other, and notes that
// the menu is the question waiting for an answer.
async function answer(ctx, text) {
  await ctx.reply(text);
  await ctx.reply(menuText, menuKeyboard);
  ctx.session.step = 'menu';
}

// choose answers a menu choice.
async function choose(ctx, choice) {
  await answer(ctx, choice.answer());
}

const bot = new Telegraf(BOT_TOKEN, { telegram: { apiRoot: API_ROOT } });
bot.use(session({ store, defaultSession: () => ({}) }));

bot.on('text', async (ctx) => {
  const text = ctx.message.text.trim().toLowerCase();
  const s = ctx.session;
  const name = [ctx.from.first_name, ctx.from.last_name].filter(Boolean).join(' ') || 'Kak';
  if (!s.step || greetings.includes(text)) {
    return answer(ctx, `Halo ${name}! 👋 Selamat datang di ${shop.name}. Saya asisten otomatis toko: saya bisa memberi info produk dan harga, jam buka, cara pesan, atau menyambungkan Anda dengan staf.`);
  }
  if (menuWords.includes(text)) {
    await ctx.reply(menuText, menuKeyboard);
    s.step = 'menu';
    return;
  }
  if (helpWords.includes(text)) {
    return answer(ctx, helpText);
  }
  if (s.step === 'menu') {
    const n = Number.parseInt(text, 10);
    const choice = String(n) === text ? choices[n - 1] : choices.find((c) => c.words.some((w) => text.includes(w)));
    if (choice) {
      return choose(ctx, choice);
    }
  }
  return answer(ctx, 'Maaf, saya belum mengerti. Ketik BANTUAN untuk melihat cara memakai saya.');
});

bot.action(choices.map((c) => c.id), async (ctx) => {
  await ctx.answerCbQuery();
  await choose(ctx, choices.find((c) => c.id === ctx.match[0]));
});

bot.catch((err, ctx) => console.error(`update ${ctx.update.update_id}:`, err.message));

const stop = (signal) => () => bot.stop(signal);
process.once('SIGINT', stop('SIGINT'));
process.once('SIGTERM', stop('SIGTERM'));
await bot.launch(() => console.error('telegraf bot connected, polling'));
await redis.quit();
