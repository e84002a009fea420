// The recorder's audio thread: hands every block of input samples to the page.
class AntreanRecorder extends AudioWorkletProcessor {
  process(inputs) {
    var channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice(0));
    return true;
  }
}
registerProcessor("antrean-recorder", AntreanRecorder);
