// Mihu voice-AI platform: SIP trunk connections and the agents' call routing through them.
package mihu
