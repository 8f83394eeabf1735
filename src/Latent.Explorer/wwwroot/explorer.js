// Latent explorer: the page of `latent explore`. Plain JavaScript, no dependencies.
//
// Layout of this file, top to bottom:
//   helpers        element builder, API calls, showing a PNG, "latest request only"
//   page           loads the runs and builds one column per run
//   run            the run's header and its current example (shared by the panels)
//   panels         one function per panel: mapPanel, slidersPanel, walkPanel, samplePanel,
//                  codesPanel, paintPanel, anomaliesPanel
'use strict';

// ---- helpers ------------------------------------------------------------------------------------

/** Builds an element: h('div', {class: 'x', onclick: f}, child, 'text', ...). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) element.append(child);
  }
  return element;
}

/** Appends the children that are not null. */
function appendAll(parent, ...children) {
  parent.append(...children.filter((child) => child !== null && child !== undefined));
}

/** An error the server answered with: its one-line message. */
class RequestError extends Error {}

/** GET or POST to the API; returns the Response, or throws a RequestError with the server's message. */
async function call(path, body) {
  const options = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  if (!response.ok) throw new RequestError((await response.text()).trim() || `${response.status} ${response.statusText}`);
  return response;
}

async function callJson(path, body) {
  return (await call(path, body)).json();
}

/**
 * Shows a PNG response in an <img>, drawn `scale` times its size, and the model's time (from the
 * Server-Timing header) with the round trip in `timing`. Counts loads in img.dataset.loads.
 */
async function showPng(image, response, scale, timing, started) {
  const blob = await response.blob();
  const previous = image.src;
  await new Promise((resolve, reject) => {
    image.onload = resolve;
    image.onerror = () => reject(new Error('the image did not decode'));
    image.src = URL.createObjectURL(blob);
  });
  if (previous.startsWith('blob:')) URL.revokeObjectURL(previous);
  image.style.width = `${image.naturalWidth * scale}px`;
  image.dataset.loads = String(Number(image.dataset.loads || 0) + 1);
  if (timing) {
    const model = /dur=([\d.]+)/.exec(response.headers.get('Server-Timing') || '');
    const roundTrip = performance.now() - started;
    timing.textContent = model ? `decoded in ${Number(model[1]).toFixed(1)} ms (round trip ${roundTrip.toFixed(0)} ms)` : '';
  }
}

/** POSTs `body` to `path` and shows the PNG it returns. */
async function decodeInto(image, path, body, scale, timing) {
  const started = performance.now();
  await showPng(image, await call(path, body), scale, timing, started);
}

/**
 * Wraps an async `send(...)` so that at most one runs at a time and, while one runs, only the most
 * recent call waits: a slider dragged fast decodes its latest position, not every position it passed.
 * Errors go to `report`.
 */
function latestOnly(send, report) {
  let running = false;
  let pending = null;
  return (...args) => {
    pending = args;
    if (running) return;
    running = true;
    (async () => {
      while (pending) {
        const next = pending;
        pending = null;
        try {
          await send(...next);
          report(null);
        } catch (error) {
          report(error);
        }
      }
      running = false;
    })();
  };
}

/** A line that shows a request's error (or nothing), for a panel. */
function errorLine() {
  const line = h('div', { class: 'error', role: 'status' });
  line.report = (error) => { line.textContent = error ? error.message : ''; };
  return line;
}

/** An <img> for decoded results, with a caption for screen readers and tests. */
function resultImage(name) {
  return h('img', { class: 'result pixels', alt: name, 'data-result': name });
}

/** How many times to enlarge an image of this height so that it is about 140 px tall. */
function scaleFor(height) {
  return Math.max(1, Math.round(140 / height));
}

/** Ten distinguishable colours (Tableau's category10), one per label. */
const Palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function labelColour(label) {
  return label === null || label === undefined ? '#555' : Palette[label % Palette.length];
}

function randomIndex(count) {
  return Math.floor(Math.random() * count);
}

// ---- page ---------------------------------------------------------------------------------------

async function start() {
  const status = document.getElementById('status');
  try {
    const runs = await callJson('/api/runs');
    const container = document.getElementById('runs');
    for (const run of runs) container.append(runColumn(run));
    status.textContent = runs.length === 1
      ? 'Every panel decodes through the model as you go; the numbers under an image are the model\'s time per request.'
      : `${runs.length} runs side by side; every panel decodes through its own model.`;
    document.body.dataset.ready = 'true';
  } catch (error) {
    status.textContent = `The explorer could not load its runs: ${error.message}`;
    status.className = 'error';
  }
}

// ---- run ----------------------------------------------------------------------------------------

/** The titles and one-line explanations of the panels, by name. */
const PanelText = {
  map: ['Map', 'The test codes in 2-D, coloured by label. Hover to see an example; click anywhere to decode that point.'],
  sliders: ['Sliders', 'One slider per latent dimension, starting at the example\'s code; the most varying dimensions first.'],
  walk: ['Walk', 'Decoded points on the way from the example to another one.'],
  sample: ['Sample', 'New examples drawn and decoded; the same seed gives the same draws.'],
  codes: ['VQ codes', 'The example\'s grid of codes. Pick a cell and give it another code; the image is decoded at once.'],
  paint: ['Paint', 'Paint over the example to hide pixels; the model fills in what it cannot see.'],
  anomalies: ['Anomalies', 'The examples with the highest scores in the run\'s scores.csv. Click one to make it the example.'],
};

/** One run's column: header, the current example, its panels and the panels that do not apply. */
function runColumn(run) {
  const state = createRunState(run);
  const builders = { map: mapPanel, sliders: slidersPanel, walk: walkPanel, sample: samplePanel, codes: codesPanel, paint: paintPanel, anomalies: anomaliesPanel };
  const panels = h('div', { class: 'panels' });
  for (const name of run.panels) {
    const [title, what] = PanelText[name];
    const panel = h('div', { class: 'panel', 'data-panel': name }, h('h3', {}, title), h('p', { class: 'what' }, what));
    builders[name](run, state, panel);
    panels.append(panel);
  }
  const absent = Object.entries(run.absent);
  return h('section', { class: 'run', 'data-run': run.id },
    h('h2', {}, run.name),
    h('div', { class: 'note' }, `${run.family} (${run.arch}) on ${run.data}: ${run.summary}. Latent space of ${run.latent.dimension} dimensions; ${run.testCount} test examples.`),
    exampleBar(run, state),
    panels,
    absent.length === 0 ? null : h('ul', { class: 'absent' },
      absent.map(([name, reason]) => h('li', {}, h('b', {}, PanelText[name][0]), `: not for this run, ${reason}.`))));
}

/** The run's current example, which the sliders, walk, codes and paint panels start from. */
function createRunState(run) {
  const listeners = [];
  return {
    run,
    example: 0,
    exampleUrl(index) { return `/api/runs/${run.id}/examples/${index}`; },
    onExample(listener) { listeners.push(listener); },
    setExample(index) {
      this.example = Math.max(0, Math.min(run.testCount - 1, index | 0));
      for (const listener of listeners) listener(this.example);
    },
  };
}

/** The example picker: its index, a random one, its picture and label. */
function exampleBar(run, state) {
  const input = h('input', { type: 'number', min: 0, max: run.testCount - 1, value: 0, 'aria-label': 'example', 'data-control': 'example' });
  const image = h('img', { class: 'pixels', alt: 'the current example', 'data-result': 'example' });
  image.style.width = `${run.image.height * Math.max(1, Math.round(56 / run.image.height))}px`;
  input.addEventListener('change', () => state.setExample(Number(input.value)));
  state.onExample((index) => {
    input.value = index;
    image.src = state.exampleUrl(index);
  });
  image.src = state.exampleUrl(0);
  return h('div', { class: 'example-bar' },
    h('label', {}, 'Example ', input, ` of 0–${run.testCount - 1}`),
    h('button', { type: 'button', onclick: () => state.setExample(randomIndex(run.testCount)) }, 'random'),
    image);
}

// ---- panels -------------------------------------------------------------------------------------

/**
 * Map: the test codes projected to 2-D (the codes themselves when D = 2, else their first two
 * principal components), drawn on a canvas. Hover shows the nearest example; click decodes the
 * point under the pointer (the server lifts it back into the latent space); double-click a point to
 * make it the example.
 */
function mapPanel(run, state, panel) {
  const canvas = h('canvas', { class: 'map', width: 340, height: 340, 'data-control': 'map' });
  const decoded = resultImage('map');
  const timing = h('div', { class: 'timing' });
  const errors = errorLine();
  const caption = h('div', { class: 'note' });
  const legend = h('div', { class: 'legend' });
  const tooltip = h('div', { class: 'tooltip' }, h('img', { alt: '' }), h('span'));
  document.body.append(tooltip);
  panel.append(h('div', { class: 'row' }, h('div', {}, canvas, legend, caption), h('div', {}, decoded, timing)), errors);

  let map = null;
  let bounds = null;
  let clicked = null;
  const scale = scaleFor(run.image.height);
  const decode = latestOnly((x, y) => decodeInto(decoded, `/api/runs/${run.id}/map/decode`, { x, y }, scale, timing), errors.report);

  // Canvas pixels <-> map coordinates, y growing upwards.
  const toCanvas = (x, y) => [(x - bounds.x0) / (bounds.x1 - bounds.x0) * canvas.width, (1 - (y - bounds.y0) / (bounds.y1 - bounds.y0)) * canvas.height];
  const fromEvent = (event) => {
    const box = canvas.getBoundingClientRect();
    const px = (event.clientX - box.left) / box.width * canvas.width;
    const py = (event.clientY - box.top) / box.height * canvas.height;
    return [px, py, bounds.x0 + px / canvas.width * (bounds.x1 - bounds.x0), bounds.y0 + (1 - py / canvas.height) * (bounds.y1 - bounds.y0)];
  };
  const nearest = (px, py) => {
    let best = -1;
    let bestDistance = 64; // within 8 canvas pixels
    for (let i = 0; i < map.x.length; i++) {
      const [cx, cy] = toCanvas(map.x[i], map.y[i]);
      const distance = (cx - px) ** 2 + (cy - py) ** 2;
      if (distance < bestDistance) { best = i; bestDistance = distance; }
    }
    return best;
  };

  function draw() {
    const context = canvas.getContext('2d');
    context.clearRect(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < map.x.length; i++) {
      const [cx, cy] = toCanvas(map.x[i], map.y[i]);
      context.fillStyle = labelColour(map.labels ? map.labels[i] : null);
      context.globalAlpha = 0.65;
      context.fillRect(cx - 1.5, cy - 1.5, 3, 3);
    }
    context.globalAlpha = 1;
    if (state.example < map.x.length) {
      const [cx, cy] = toCanvas(map.x[state.example], map.y[state.example]);
      context.strokeStyle = '#000';
      context.lineWidth = 1.5;
      context.beginPath();
      context.arc(cx, cy, 6, 0, 2 * Math.PI);
      context.stroke();
    }
    if (clicked) {
      const [cx, cy] = toCanvas(clicked[0], clicked[1]);
      context.strokeStyle = '#d62728';
      context.lineWidth = 2;
      context.beginPath();
      context.moveTo(cx - 7, cy); context.lineTo(cx + 7, cy);
      context.moveTo(cx, cy - 7); context.lineTo(cx, cy + 7);
      context.stroke();
    }
  }

  canvas.addEventListener('click', (event) => {
    if (!map) return;
    const [, , x, y] = fromEvent(event);
    clicked = [x, y];
    draw();
    decode(x, y);
  });
  canvas.addEventListener('dblclick', (event) => {
    if (!map) return;
    const [px, py] = fromEvent(event);
    const index = nearest(px, py);
    if (index >= 0) state.setExample(index);
  });
  canvas.addEventListener('mousemove', (event) => {
    if (!map) return;
    const [px, py] = fromEvent(event);
    const index = nearest(px, py);
    if (index < 0) { tooltip.style.display = 'none'; return; }
    const [image, text] = tooltip.children;
    const source = state.exampleUrl(index);
    if (!image.src.endsWith(source)) image.src = source;
    const label = map.labels && map.labelNames ? map.labelNames[map.labels[index]] ?? map.labels[index] : '';
    text.textContent = `#${index} ${label}`;
    tooltip.style.left = `${event.clientX + 14}px`;
    tooltip.style.top = `${event.clientY + 14}px`;
    tooltip.style.display = 'block';
  });
  canvas.addEventListener('mouseleave', () => { tooltip.style.display = 'none'; });
  state.onExample(() => { if (map) draw(); });

  callJson(`/api/runs/${run.id}/map`).then((loaded) => {
    map = loaded;
    const span = (values) => {
      let low = Math.min(...values);
      let high = Math.max(...values);
      if (!(high > low)) { low -= 1; high += 1; }
      const margin = 0.05 * (high - low);
      return [low - margin, high + margin];
    };
    const [x0, x1] = span(map.x);
    const [y0, y1] = span(map.y);
    bounds = { x0, x1, y0, y1 };
    const percent = (share) => `${(100 * share).toFixed(0)} %`;
    caption.textContent = map.projection === 'codes'
      ? `The codes themselves: z₁ across, z₂ up (${map.x.length} test examples).`
      : `First two principal components of the codes (${percent(map.axisShare[0])} and ${percent(map.axisShare[1])} of their variance; ${map.x.length} test examples). Double-click a point to make it the example.`;
    if (map.labels) {
      const used = [...new Set(map.labels)].sort((a, b) => a - b);
      for (const label of used) {
        const swatch = h('span', {}, map.labelNames ? map.labelNames[label] ?? String(label) : String(label));
        swatch.style.setProperty('--swatch', labelColour(label));
        legend.append(swatch);
      }
    }
    draw();
    canvas.dataset.ready = 'true';
  }).catch(errors.report);
}

/**
 * Sliders: one per latent dimension (the most varying across the test split first: for a VAE the
 * most active), starting from the example's code; moving one decodes the changed code at once.
 */
function slidersPanel(run, state, panel) {
  const grid = h('div', { class: 'sliders' });
  const decoded = resultImage('sliders');
  const timing = h('div', { class: 'timing' });
  const errors = errorLine();
  const shown = run.latent.sliders;
  const note = shown.length < run.latent.dimension
    ? h('div', { class: 'note' }, `The ${shown.length} most varying of ${run.latent.dimension} dimensions.`) : null;
  const reset = h('button', { type: 'button' }, 'back to the example\'s code');
  appendAll(panel, h('div', { class: 'row' }, h('div', {}, decoded, timing), h('div', {}, reset)), note, grid, errors);

  let code = null;
  const scale = scaleFor(run.image.height);
  const decode = latestOnly(() => decodeInto(decoded, `/api/runs/${run.id}/decode`, { code }, scale, timing), errors.report);
  const inputs = shown.map((slider) => {
    const input = h('input', {
      type: 'range', min: slider.low, max: slider.high, step: (slider.high - slider.low) / 200,
      'aria-label': `z${slider.dimension}`, 'data-dimension': slider.dimension,
    });
    const value = h('span', { class: 'value' });
    input.addEventListener('input', () => {
      if (!code) return;
      code[slider.dimension] = Number(input.value);
      value.textContent = Number(input.value).toFixed(2);
      decode();
    });
    grid.append(h('label', { title: `variance across the test split ${slider.variance.toPrecision(3)}` }, `z${slider.dimension}`), input, value);
    return { input, value, slider };
  });

  async function load(index) {
    code = (await callJson(`/api/runs/${run.id}/examples/${index}/code`)).code;
    for (const { input, value, slider } of inputs) {
      input.value = code[slider.dimension];
      value.textContent = code[slider.dimension].toFixed(2);
    }
    decode();
    grid.dataset.ready = 'true';
  }
  reset.addEventListener('click', () => load(state.example).catch(errors.report));
  state.onExample((index) => load(index).catch(errors.report));
  load(state.example).catch(errors.report);
}

/** Walk: decoded points on the straight (or spherical) line between the example's code and another's. */
function walkPanel(run, state, panel) {
  const to = h('input', { type: 'number', min: 0, max: run.testCount - 1, value: Math.min(1, run.testCount - 1), 'aria-label': 'to example', 'data-control': 'walk-to' });
  const steps = h('input', { type: 'number', min: 2, max: 32, value: 8, 'aria-label': 'steps' });
  const spherical = h('select', { 'aria-label': 'interpolation' }, h('option', { value: 'linear' }, 'linear'), h('option', { value: 'spherical' }, 'spherical (slerp)'));
  const decoded = resultImage('walk');
  const timing = h('div', { class: 'timing' });
  const errors = errorLine();
  const walk = latestOnly(() => decodeInto(decoded, `/api/runs/${run.id}/walk`,
    { from: state.example, to: Number(to.value), steps: Number(steps.value), spherical: spherical.value === 'spherical' }, 2, timing), errors.report);
  const other = h('button', { type: 'button', onclick: () => { to.value = randomIndex(run.testCount); walk(); } }, 'random');
  for (const control of [to, steps, spherical]) control.addEventListener('change', walk);
  panel.append(h('div', { class: 'controls' }, h('label', {}, 'from the example to ', to), other, h('label', {}, 'points ', steps), spherical),
    decoded, timing, errors);
  state.onExample(walk);
  walk();
}

/** Sample: draws from the model's prior (or a mixture fitted to its codes), decoded, with their seed. */
function samplePanel(run, state, panel) {
  const seed = h('input', { type: 'number', value: 0, 'aria-label': 'seed', 'data-control': 'seed' });
  const count = h('input', { type: 'number', min: 1, max: 64, value: 16, 'aria-label': 'samples' });
  const decoded = resultImage('sample');
  const timing = h('div', { class: 'timing' });
  const errors = errorLine();
  const draw = latestOnly(async () => {
    timing.textContent = 'drawing…';
    await decodeInto(decoded, `/api/runs/${run.id}/sample`, { count: Number(count.value), seed: Number(seed.value) }, 2, timing);
  }, errors.report);
  const next = h('button', { type: 'button', onclick: () => { seed.value = Number(seed.value) + 1; draw(); } }, 'next seed');
  seed.addEventListener('change', draw);
  count.addEventListener('change', draw);
  panel.append(h('div', { class: 'note' }, `From ${run.sample.description}.`),
    h('div', { class: 'controls' }, h('label', {}, 'seed ', seed), next, h('label', {}, 'how many ', count)), decoded, timing, errors);
  draw();
}

/**
 * VQ codes: the example's grid of integer codes (one head at a time when there are several). Pick a
 * cell, then type a code or click a bar of the usage chart: the grid is decoded at once. The chart
 * shows how often each code is used on the test split; the picked cell's code is marked.
 */
function codesPanel(run, state, panel) {
  const { grid: gridShape, heads, codebookSize, usage } = run.codes;
  const columns = gridShape.length === 2 ? gridShape[1] : Math.min(gridShape[0], 8);
  const positions = gridShape.reduce((a, b) => a * b, 1);
  const cells = h('div', { class: 'codegrid', 'data-control': 'codes' });
  cells.style.gridTemplateColumns = `repeat(${columns}, auto)`;
  const head = h('select', { 'aria-label': 'head' }, Array.from({ length: heads }, (_, l) => h('option', { value: l }, `head ${l + 1} of ${heads}`)));
  const codeInput = h('input', { type: 'number', min: 0, max: codebookSize - 1, 'aria-label': 'code of the picked cell', 'data-control': 'code' });
  const original = h('img', { class: 'result pixels', alt: 'the example' });
  const decoded = resultImage('codes');
  const timing = h('div', { class: 'timing' });
  const errors = errorLine();
  const chart = h('canvas', { class: 'usage', width: 340, height: 90 });
  const usageNote = h('div', { class: 'note' });
  const reset = h('button', { type: 'button' }, 'the example\'s codes');
  panel.append(
    h('div', { class: 'row' }, h('div', {}, cells), h('div', {}, original, decoded, timing)),
    h('div', { class: 'controls' }, heads > 1 ? head : null, h('label', {}, 'code ', codeInput, ` of 0–${codebookSize - 1}`), reset),
    chart, usageNote, errors);

  let codes = null;      // [P][L] being edited
  let example = null;    // [P][L] of the example
  let picked = 0;
  const scale = scaleFor(run.image.height);
  const decode = latestOnly(() => decodeInto(decoded, `/api/runs/${run.id}/codes/decode`, { codes }, scale, timing), errors.report);
  const currentHead = () => Number(head.value || 0);

  const buttons = Array.from({ length: positions }, (_, p) => {
    const button = h('button', { type: 'button', 'data-position': p, title: `position ${p}` });
    button.addEventListener('click', () => { picked = p; render(); });
    cells.append(button);
    return button;
  });

  function render() {
    if (!codes) return;
    const l = currentHead();
    buttons.forEach((button, p) => {
      button.textContent = codes[p][l];
      button.classList.toggle('selected', p === picked);
      button.classList.toggle('changed', codes[p][l] !== example[p][l]);
    });
    codeInput.value = codes[picked][l];
    drawUsage();
  }

  function setCode(value) {
    if (!codes || !Number.isInteger(value) || value < 0 || value >= codebookSize) return;
    codes[picked][currentHead()] = value;
    render();
    decode();
  }

  function drawUsage() {
    const counts = usage[currentHead()];
    const context = chart.getContext('2d');
    const highest = Math.max(...counts, 1);
    const width = chart.width / codebookSize;
    context.clearRect(0, 0, chart.width, chart.height);
    context.fillStyle = '#8aa6d6';
    counts.forEach((count, k) => {
      const barHeight = count / highest * (chart.height - 4);
      context.fillRect(k * width, chart.height - barHeight, Math.max(width - (width > 3 ? 1 : 0), 0.8), barHeight);
    });
    if (codes) {
      const k = codes[picked][currentHead()];
      context.fillStyle = '#d62728';
      context.fillRect(k * width, 0, Math.max(width, 2), chart.height);
    }
    const used = counts.filter((count) => count > 0).length;
    usageNote.textContent = `Codebook usage on the test split: ${used} of ${codebookSize} codes used (bars by code number; red: the picked cell's code). Click a bar to give the cell that code.`;
  }

  async function load(index) {
    example = (await callJson(`/api/runs/${run.id}/examples/${index}/codes`)).codes;
    codes = example.map((heads) => heads.slice());
    original.src = state.exampleUrl(index);
    original.style.width = `${run.image.width * scale}px`;
    render();
    decode();
    cells.dataset.ready = 'true';
  }

  codeInput.addEventListener('change', () => setCode(Number(codeInput.value)));
  head.addEventListener('change', render);
  chart.addEventListener('click', (event) => {
    const box = chart.getBoundingClientRect();
    setCode(Math.min(codebookSize - 1, Math.floor((event.clientX - box.left) / box.width * codebookSize)));
  });
  reset.addEventListener('click', () => load(state.example).catch(errors.report));
  state.onExample((index) => load(index).catch(errors.report));
  load(state.example).catch(errors.report);
}

/**
 * Paint: the example on a canvas; painting marks pixels as hidden (in blue). When a stroke ends, the
 * model fills in the hidden pixels; the result shows what the model saw (hidden in blue: whole
 * patches for a MAE) beside its fill-in.
 */
function paintPanel(run, state, panel) {
  const { height, width } = run.image;
  const zoom = Math.max(2, Math.round(224 / Math.max(height, width)));
  const canvas = h('canvas', { class: 'paint', width: width * zoom, height: height * zoom, 'data-control': 'paint' });
  const brush = h('input', { type: 'range', min: 1, max: Math.max(2, Math.round(width / 4)), value: Math.max(1, Math.round(width / 14)), 'aria-label': 'brush size' });
  const decoded = resultImage('paint');
  const timing = h('div', { class: 'timing' });
  const errors = errorLine();
  const mask = new Uint8Array(height * width);
  const picture = new Image();
  const unitText = run.paint.unit > 1 ? ` The model hides whole ${run.paint.unit}×${run.paint.unit} patches.` : '';
  panel.append(
    h('div', { class: 'controls' },
      h('label', {}, 'brush ', brush),
      h('button', { type: 'button', onclick: () => { mask.fill(0); draw(); } }, 'clear'),
      h('button', { type: 'button', onclick: () => { fillCentre(); draw(); fill(); } }, 'centre'),
      h('button', { type: 'button', onclick: () => { fillRandom(); draw(); fill(); } }, `random ${Math.round(100 * run.paint.fraction)} %`)),
    h('div', { class: 'row' }, canvas, h('div', {}, decoded, timing)),
    h('div', { class: 'note' }, `Left: what you hide. Right: what the model saw and its fill-in.${unitText}`), errors);

  const fill = latestOnly(async () => {
    if (!mask.includes(1)) return;
    await decodeInto(decoded, `/api/runs/${run.id}/paint`, { example: state.example, mask: Array.from(mask).join('') }, Math.max(2, zoom / 2), timing);
  }, errors.report);

  function draw() {
    const context = canvas.getContext('2d');
    context.imageSmoothingEnabled = false;
    context.clearRect(0, 0, canvas.width, canvas.height);
    if (picture.complete && picture.naturalWidth > 0) context.drawImage(picture, 0, 0, canvas.width, canvas.height);
    context.fillStyle = 'rgba(64, 115, 217, 0.85)';
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) if (mask[y * width + x]) context.fillRect(x * zoom, y * zoom, zoom, zoom);
    }
  }

  function paintAt(event) {
    const box = canvas.getBoundingClientRect();
    const cx = (event.clientX - box.left) / box.width * width;
    const cy = (event.clientY - box.top) / box.height * height;
    const radius = Number(brush.value) / 2;
    for (let y = Math.floor(cy - radius); y <= Math.ceil(cy + radius); y++) {
      for (let x = Math.floor(cx - radius); x <= Math.ceil(cx + radius); x++) {
        if (x >= 0 && y >= 0 && x < width && y < height && (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= radius * radius + 0.25) mask[y * width + x] = 1;
      }
    }
    draw();
  }

  function fillCentre() {
    mask.fill(0);
    for (let y = Math.floor(height / 4); y < Math.floor(height / 4) + Math.ceil(height / 2); y++) {
      for (let x = Math.floor(width / 4); x < Math.floor(width / 4) + Math.ceil(width / 2); x++) mask[y * width + x] = 1;
    }
  }

  function fillRandom() {
    // Hide the training fraction of the mask units (whole patches for a MAE), as in training.
    const unit = run.paint.unit;
    const rows = Math.floor(height / unit);
    const columns = Math.floor(width / unit);
    const order = Array.from({ length: rows * columns }, (_, i) => i).sort(() => Math.random() - 0.5);
    mask.fill(0);
    for (const i of order.slice(0, Math.max(1, Math.round(run.paint.fraction * order.length)))) {
      const [r, c] = [Math.floor(i / columns), i % columns];
      for (let y = r * unit; y < (r + 1) * unit; y++) for (let x = c * unit; x < (c + 1) * unit; x++) mask[y * width + x] = 1;
    }
  }

  let painting = false;
  canvas.addEventListener('pointerdown', (event) => { painting = true; canvas.setPointerCapture(event.pointerId); paintAt(event); });
  canvas.addEventListener('pointermove', (event) => { if (painting) paintAt(event); });
  canvas.addEventListener('pointerup', () => { if (!painting) return; painting = false; fill(); });
  picture.onload = () => { draw(); if (mask.includes(1)) fill(); };
  state.onExample((index) => { picture.src = state.exampleUrl(index); });
  picture.src = state.exampleUrl(state.example);
  canvas.dataset.ready = 'true';
}

/** Anomalies: the worst-scored examples of the run's scores.csv, by the chosen score. */
function anomaliesPanel(run, state, panel) {
  const column = h('select', { 'aria-label': 'score' }, run.anomalies.columns.map((name) => h('option', { value: name }, name)));
  const list = h('div', { class: 'anomalies' });
  const errors = errorLine();
  panel.append(h('div', { class: 'controls' }, h('label', {}, 'score ', column)), list, errors);
  async function load() {
    const worst = await callJson(`/api/runs/${run.id}/anomalies?count=24&column=${encodeURIComponent(column.value)}`);
    list.replaceChildren(...worst.map((example) => h('button', { type: 'button', onclick: () => state.setExample(example.index), title: `example ${example.index}` },
      h('img', { src: state.exampleUrl(example.index), alt: `example ${example.index}` }),
      `${example.score.toPrecision(3)}${example.label ? ` ${example.label}` : ''}`)));
  }
  column.addEventListener('change', () => load().catch(errors.report));
  load().catch(errors.report);
}

start();
